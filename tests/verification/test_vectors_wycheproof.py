"""Wycheproof Ed25519 verification vectors (C2SP/wycheproof, see tests/vectors/PROVENANCE.md).

Every case is its own test. Valid signatures must verify; invalid ones must be refused: wrong-length
signatures as MalformedInput, everything else (malleable S, non-canonical R, wrong values) as
SignatureInvalid.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from verification.ed25519 import SIGNATURE_SIZE, verify_ed25519
from verification.errors import MalformedInput, SignatureInvalid

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "wycheproof" / "ed25519_test.json"


def _cases() -> list[tuple[str, dict[str, Any]]]:
    data = json.loads(VECTORS.read_text(encoding="utf-8"))
    cases = []
    for group in data["testGroups"]:
        for test in group["tests"]:
            slug = re.sub(r"[^a-z0-9]+", "-", test["comment"].lower()).strip("-")[:60] or test["result"]
            cases.append((f"tcId-{test['tcId']}-{slug}", {"pk": group["publicKey"]["pk"], **test}))
    return cases


CASES = _cases()


def test_vector_count() -> None:
    assert len(CASES) == 151
    assert sum(case["result"] == "valid" for _, case in CASES) == 88


@pytest.mark.parametrize("case", [case for _, case in CASES], ids=[name for name, _ in CASES])
def test_wycheproof_ed25519(case: dict[str, Any]) -> None:
    public_key = bytes.fromhex(case["pk"])
    signature = bytes.fromhex(case["sig"])
    message = bytes.fromhex(case["msg"])
    if case["result"] == "valid":
        verify_ed25519(public_key, signature, message)
        return
    expected = MalformedInput if len(signature) != SIGNATURE_SIZE else SignatureInvalid
    with pytest.raises(expected):
        verify_ed25519(public_key, signature, message)
