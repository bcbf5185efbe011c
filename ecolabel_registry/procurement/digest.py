"""The SHA-256 an eligibility decision commits to, without re-proving what the results are made of.

`verification.decision.results_digest` hashes the RFC 8785 form of the results through
`dumps_canonical_fast`, which first walks every value to prove that orjson's sorted output is RFC 8785
(no floats, no integer beyond 2^53, ASCII keys): ~40 ms of pure Python for 10,000 lines, as long as the
rest of the check. Results built by `eligibility` hold only strings, booleans, None and small integers
under ASCII keys, so the proof is needed only for what a recognizer returned (`path`, `conditions`); those
are checked by comparing the two encoders' bytes, and anything else takes the reference path. The bytes,
and so the digest, are the same either way (tests/verification/test_canonical_fast.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import orjson

from verification.canonical import dumps_canonical_fast
from verification.decision import results_digest

_SORTED = orjson.OPT_SORT_KEYS


def results_sha256(results: list[dict[str, Any]], foreign: Iterable[Any]) -> tuple[str, bytes | None]:
    """`results_digest(results)`, where every value not built by eligibility itself is in `foreign`,
    and the RFC 8785 bytes it hashed when the fast path made them (the answer embeds them as they are,
    instead of encoding 10,000 results a second time)."""
    if all(_orjson_is_canonical(value) for value in foreign):
        try:
            encoded = orjson.dumps(results, option=_SORTED)
        except orjson.JSONEncodeError:  # e.g. a lone surrogate in a line's ref: the reference path reports it
            pass
        else:
            return hashlib.sha256(encoded).hexdigest(), encoded
    return results_digest(results), None


def _orjson_is_canonical(value: Any) -> bool:
    try:
        return orjson.dumps(value, option=_SORTED) == dumps_canonical_fast(value)
    except orjson.JSONEncodeError:
        return False
