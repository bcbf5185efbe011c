"""Property tests: the proof producers and verifiers of verification.merkle agree with the reference MTH.

The producers only see a ``subtree_root(start, end)`` callback; here it is the reference MTH of the
slice, and it also records every range asked for, to check the documented promise that all of them
are perfect aligned subtrees except possibly the rightmost.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verification.errors import MalformedInput, ProofInvalid
from verification.merkle import (
    consistency_proof,
    inclusion_proof,
    inclusion_proofs,
    root_from_leaf_hashes,
    root_from_subtrees,
    verify_consistency,
    verify_inclusion,
)

SETTINGS = settings(max_examples=60, deadline=None)


def _leaves(count: int, salt: int) -> list[bytes]:
    return [hashlib.sha256(f"{salt}:{i}".encode()).digest() for i in range(count)]


class _Subtrees:
    def __init__(self, leaves: list[bytes]) -> None:
        self.leaves = leaves
        self.asked: list[tuple[int, int]] = []

    def __call__(self, start: int, end: int) -> bytes:
        self.asked.append((start, end))
        return root_from_leaf_hashes(self.leaves[start:end])

    def assert_ranges_documented(self, tree_size: int) -> None:
        for start, end in self.asked:
            size = end - start
            perfect = size & (size - 1) == 0 and start % size == 0
            assert 0 <= start < end <= tree_size
            assert perfect or end == tree_size, (start, end)


def _flip(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


sizes = st.integers(min_value=1, max_value=300)
salts = st.integers(min_value=0, max_value=2**32)
bits = st.integers(min_value=0, max_value=255)


@SETTINGS
@given(size=sizes, salt=salts, data=st.data())
def test_inclusion_proofs_verify(size: int, salt: int, data: st.DataObject) -> None:
    leaves = _leaves(size, salt)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    subtrees = _Subtrees(leaves)
    proof = inclusion_proof(index, size, subtrees)
    root = root_from_leaf_hashes(leaves)
    verify_inclusion(index, size, leaves[index], proof, root)
    subtrees.assert_ranges_documented(size)


@SETTINGS
@given(size=sizes, salt=salts, data=st.data(), bit=bits)
def test_inclusion_any_bit_flip_fails(size: int, salt: int, data: st.DataObject, bit: int) -> None:
    leaves = _leaves(size, salt)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof = inclusion_proof(index, size, _Subtrees(leaves))
    root = root_from_leaf_hashes(leaves)
    with pytest.raises(ProofInvalid):
        verify_inclusion(index, size, leaves[index], proof, _flip(root, bit))
    with pytest.raises(ProofInvalid):
        verify_inclusion(index, size, _flip(leaves[index], bit), proof, root)
    if proof:
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="position")
        tampered = [*proof[:position], _flip(proof[position], bit), *proof[position + 1 :]]
        with pytest.raises(ProofInvalid):
            verify_inclusion(index, size, leaves[index], tampered, root)


@SETTINGS
@given(size2=sizes, salt=salts, data=st.data())
def test_consistency_proofs_verify(size2: int, salt: int, data: st.DataObject) -> None:
    leaves = _leaves(size2, salt)
    size1 = data.draw(st.integers(min_value=1, max_value=size2), label="size1")
    subtrees = _Subtrees(leaves)
    proof = consistency_proof(size1, size2, subtrees)
    verify_consistency(size1, size2, proof, root_from_leaf_hashes(leaves[:size1]), root_from_leaf_hashes(leaves))
    subtrees.assert_ranges_documented(size2)


@SETTINGS
@given(size2=st.integers(min_value=2, max_value=300), salt=salts, data=st.data(), bit=bits)
def test_consistency_any_bit_flip_fails(size2: int, salt: int, data: st.DataObject, bit: int) -> None:
    leaves = _leaves(size2, salt)
    size1 = data.draw(st.integers(min_value=1, max_value=size2 - 1), label="size1")
    proof = consistency_proof(size1, size2, _Subtrees(leaves))
    root1, root2 = root_from_leaf_hashes(leaves[:size1]), root_from_leaf_hashes(leaves)
    with pytest.raises(ProofInvalid):
        verify_consistency(size1, size2, proof, _flip(root1, bit), root2)
    with pytest.raises(ProofInvalid):
        verify_consistency(size1, size2, proof, root1, _flip(root2, bit))
    position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="position")
    tampered = [*proof[:position], _flip(proof[position], bit), *proof[position + 1 :]]
    with pytest.raises(ProofInvalid):
        verify_consistency(size1, size2, tampered, root1, root2)


@SETTINGS
@given(size=st.integers(min_value=0, max_value=300), salt=salts)
def test_root_from_subtrees_matches_reference(size: int, salt: int) -> None:
    leaves = _leaves(size, salt)
    subtrees = _Subtrees(leaves)
    assert root_from_subtrees(size, subtrees) == root_from_leaf_hashes(leaves)
    assert all((end - start) & (end - start - 1) == 0 for start, end in subtrees.asked)


@SETTINGS
@given(size=st.integers(min_value=2, max_value=300), salt=salts, data=st.data())
def test_proof_for_wrong_size_or_index_fails(size: int, salt: int, data: st.DataObject) -> None:
    leaves = _leaves(size, salt)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    other = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index), label="other")
    proof = inclusion_proof(index, size, _Subtrees(leaves))
    root = root_from_leaf_hashes(leaves)
    with pytest.raises((ProofInvalid, MalformedInput)):
        verify_inclusion(other, size, leaves[index], proof, root)


@SETTINGS
@given(size=sizes, salt=salts, data=st.data())
def test_the_proofs_of_an_append_are_each_leafs_own_proof(size: int, salt: int, data: st.DataObject) -> None:
    """`inclusion_proofs` (a receipt per appended leaf) gives exactly `inclusion_proof` of each leaf, and asks
    only for the ranges a proof may ask for."""
    first = data.draw(st.integers(min_value=0, max_value=size), label="first")
    subtrees = _Subtrees(_leaves(size, salt))
    proofs = inclusion_proofs(first, size, subtrees)
    subtrees.assert_ranges_documented(size)
    assert proofs == [inclusion_proof(m, size, subtrees) for m in range(first, size)]


@pytest.mark.parametrize(("first", "size"), [(-1, 7), (8, 7), (True, 7), (0, -1)])
def test_the_proofs_of_an_append_refuse_leaves_outside_the_tree(first: int, size: int) -> None:
    with pytest.raises(MalformedInput):
        inclusion_proofs(first, size, _Subtrees(_leaves(7, 0)))
