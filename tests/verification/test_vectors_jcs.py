"""RFC 8785 canonicalization vectors from cyberphone/json-canonicalization (tests/vectors/PROVENANCE.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from verification.canonical import dumps_canonical
from verification.strictjson import loads_strict

ROOT = Path(__file__).resolve().parents[1] / "vectors" / "jcs"
NAMES = sorted(p.stem for p in (ROOT / "input").glob("*.json"))


def test_vector_count() -> None:
    assert len(NAMES) == 6


@pytest.mark.parametrize("name", NAMES, ids=NAMES)
def test_jcs_vector(name: str) -> None:
    canonical = dumps_canonical(loads_strict((ROOT / "input" / f"{name}.json").read_bytes()))
    assert canonical == (ROOT / "output" / f"{name}.json").read_bytes()
    assert canonical == bytes.fromhex((ROOT / "outhex" / f"{name}.txt").read_text("ascii"))
