"""Example-based tests of verification.merkle: RFC 9162 constants, argument checks and the check_* doors."""

from __future__ import annotations

import hashlib

import pytest

from verification.errors import MalformedInput, ProofInvalid
from verification.merkle import (
    EMPTY_ROOT,
    check_consistency,
    check_inclusion,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [leaf_hash(bytes([i])) for i in range(7)]
ROOT = root_from_leaf_hashes(LEAVES)


def _subtree(start: int, end: int) -> bytes:
    return root_from_leaf_hashes(LEAVES[start:end])


def test_hash_prefixes_follow_rfc9162() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    # RFC 9162 §2.1.1: the 7-leaf tree splits at k = 4, then 2, then 1.
    left = node_hash(node_hash(LEAVES[0], LEAVES[1]), node_hash(LEAVES[2], LEAVES[3]))
    right = node_hash(node_hash(LEAVES[4], LEAVES[5]), LEAVES[6])
    assert node_hash(left, right) == ROOT


def test_inclusion_proof_matches_path_definition() -> None:
    # PATH(6, D[7]) = [MTH(D[4:6]), MTH(D[0:4])]: leaf 6 has no sibling at the bottom level.
    assert inclusion_proof(6, 7, _subtree) == [_subtree(4, 6), _subtree(0, 4)]


def test_consistency_proof_matches_subproof_definition() -> None:
    # RFC 9162 §2.1.4.3 example shape: PROOF(3, D[7]) = [c, d, g, l] in the RFC's figure.
    assert consistency_proof(3, 7, _subtree) == [LEAVES[2], LEAVES[3], _subtree(0, 2), _subtree(4, 7)]
    assert consistency_proof(4, 7, _subtree) == [_subtree(4, 7)]
    assert consistency_proof(7, 7, _subtree) == []


@pytest.mark.parametrize(
    ("index", "size"), [(-1, 7), (7, 7), (0, 0), (True, 7)], ids=["negative", "at-size", "empty", "bool"]
)
def test_inclusion_proof_refuses_bad_arguments(index: int, size: int) -> None:
    with pytest.raises(MalformedInput):
        inclusion_proof(index, size, _subtree)


@pytest.mark.parametrize(("size1", "size2"), [(0, 7), (8, 7), (-1, 2)], ids=["from-empty", "shrinking", "negative"])
def test_consistency_proof_refuses_bad_arguments(size1: int, size2: int) -> None:
    with pytest.raises(MalformedInput):
        consistency_proof(size1, size2, _subtree)


def test_verify_refuses_wrong_hash_lengths() -> None:
    with pytest.raises(MalformedInput):
        verify_inclusion(0, 7, LEAVES[0][:31], inclusion_proof(0, 7, _subtree), ROOT)
    with pytest.raises(MalformedInput):
        verify_inclusion(0, 7, LEAVES[0], [b"\x00" * 33], ROOT)


def test_extra_proof_element_is_refused() -> None:
    proof = inclusion_proof(2, 7, _subtree)
    with pytest.raises(ProofInvalid, match="PROOF_TOO_LONG"):
        verify_inclusion(2, 7, LEAVES[2], [*proof, EMPTY_ROOT], ROOT)
    with pytest.raises(ProofInvalid, match="PROOF_TOO_SHORT"):
        verify_inclusion(2, 7, LEAVES[2], proof[:-1], ROOT)


def test_consistency_edge_cases() -> None:
    verify_consistency(7, 7, [], ROOT, ROOT)
    with pytest.raises(ProofInvalid, match="EMPTY_TREE"):
        verify_consistency(0, 7, [], EMPTY_ROOT, ROOT)
    with pytest.raises(ProofInvalid, match="SIZE_DECREASED"):
        verify_consistency(7, 6, [], ROOT, ROOT)


def test_check_doors_report_instead_of_raising() -> None:
    good = check_inclusion(3, 7, LEAVES[3], inclusion_proof(3, 7, _subtree), ROOT)
    assert good.ok
    assert good.code is None
    bad = check_inclusion(3, 7, LEAVES[4], inclusion_proof(3, 7, _subtree), ROOT)
    assert not bad.ok
    assert bad.code == "ROOT_MISMATCH"
    with pytest.raises(ProofInvalid):
        bad.raise_for_failure()
    proof = consistency_proof(3, 7, _subtree)
    assert check_consistency(3, 7, proof, _subtree(0, 3), ROOT).ok
    assert check_consistency(3, 7, proof, ROOT, ROOT).code == "ROOT1_MISMATCH"
