"""transparency-dev/merkle inclusion and consistency proof vectors (see tests/vectors/PROVENANCE.md).

A correct verifier accepts every ``wantErr: false`` case and rejects every ``wantErr: true`` case;
rejections are ProofInvalid, or MalformedInput where the input cannot even be a proof (hashes of the
wrong length).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from verification.errors import MalformedInput, ProofInvalid
from verification.merkle import verify_consistency, verify_inclusion

ROOT = Path(__file__).resolve().parents[1] / "vectors" / "merkle"


def _load(kind: str) -> list[tuple[str, dict[str, Any]]]:
    paths = sorted((ROOT / kind).rglob("*.json"))
    return [(str(p.relative_to(ROOT).with_suffix("")), json.loads(p.read_text("utf-8"))) for p in paths]


INCLUSION = _load("inclusion")
CONSISTENCY = _load("consistency")


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in case["proof"] or []]  # "proof": null is an empty proof


def test_vector_counts() -> None:
    assert len(INCLUSION) == 98
    assert len(CONSISTENCY) == 98


@pytest.mark.parametrize("case", [c for _, c in INCLUSION], ids=[name for name, _ in INCLUSION])
def test_inclusion_vector(case: dict[str, Any]) -> None:
    def run() -> None:
        verify_inclusion(case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), _proof(case), _b64(case["root"]))

    if case["wantErr"]:
        with pytest.raises((ProofInvalid, MalformedInput)):
            run()
    else:
        run()


@pytest.mark.parametrize("case", [c for _, c in CONSISTENCY], ids=[name for name, _ in CONSISTENCY])
def test_consistency_vector(case: dict[str, Any]) -> None:
    def run() -> None:
        verify_consistency(case["size1"], case["size2"], _proof(case), _b64(case["root1"]), _b64(case["root2"]))

    if case["wantErr"]:
        with pytest.raises((ProofInvalid, MalformedInput)):
            run()
    else:
        run()
