"""The raw-text pre-check of string lengths never passes a body whose exact measure would not."""

from __future__ import annotations

import random

from ecolabel_registry.api.routing import _strings_surely_fine


def _exact(body: bytes, max_chars: int) -> bool:
    return b"\\u0000" not in body and b'\\"' not in body and max(map(len, body.split(b'"'))) <= max_chars


def test_the_block_test_agrees_with_the_exact_measure_on_every_length_around_the_cap() -> None:
    rng = random.Random(7)
    for max_chars in (1, 2, 3, 7, 8, 256, 257):
        for _ in range(400):
            runs = [
                rng.choice(
                    (0, 1, max_chars // 2, max_chars - 1, max_chars, max_chars + 1, rng.randrange(3 * max_chars + 2))
                )
                for _ in range(rng.randrange(1, 8))
            ]
            body = b'"'.join(b"a" * run for run in runs)
            assert _strings_surely_fine(body, max_chars) == _exact(body, max_chars), (max_chars, runs)


def test_a_catalogue_sized_body_with_one_string_over_the_cap_is_caught() -> None:
    lines = b",".join(b'{"ref":"line-%d","certificate_id":"%064x"}' % (n, n) for n in range(10_000))
    assert _strings_surely_fine(b'{"items":[' + lines + b"]}", 256)
    long = b'{"ref":"' + b"x" * 257 + b'"}'
    for at in (0, 10, 5_000, 9_999):
        parts = lines.split(b",")
        parts.insert(at, long)
        assert not _strings_surely_fine(b'{"items":[' + b",".join(parts) + b"]}", 256)
