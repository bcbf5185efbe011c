"""The status map against a model: a dict and the tree's definition written out (`reference_root`).

Keys are drawn from two families: random ids, and ids built from a four-symbol alphabet so that many
share long prefixes and leaves split deep (down to the 256th bit). Forged proofs are built from real
ones by every mutation a dishonest server could try; the property is that a verifier never reports a
wrong answer: it either refuses the proof or answers what the model says.
"""

from __future__ import annotations

import doctest
import hashlib
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verification import status_map
from verification.errors import MalformedInput, ProofInvalid
from verification.status_map import (
    EMPTY,
    ChainHeadValue,
    MapLeaf,
    MapProof,
    bit,
    map_leaf_hash,
    map_node_hash,
    verify_absence,
    verify_chain_head,
    verify_lookup,
    verify_value,
)
from verification.status_map_tree import StatusMapTree, path_positions, reference_root

SETTINGS = settings(max_examples=80, deadline=None)

random_keys = st.binary(min_size=32, max_size=32)
clustered_keys = st.lists(st.sampled_from([0x00, 0x01, 0x80, 0xFF]), min_size=32, max_size=32).map(bytes)
keys = st.one_of(random_keys, clustered_keys)
values = st.binary(min_size=0, max_size=40)
operations = st.lists(st.tuples(keys, values), min_size=0, max_size=40)


def _build(ops: list[tuple[bytes, bytes]]) -> tuple[StatusMapTree, dict[bytes, bytes]]:
    tree, model = StatusMapTree(), {}
    for key, value in ops:
        tree.put(key, value)
        model[key] = hashlib.sha256(value).digest()
    return tree, model


def _sha(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


@SETTINGS
@given(ops=operations)
def test_root_is_the_definition_of_the_map_after_any_sequence_of_puts(ops: list[tuple[bytes, bytes]]) -> None:
    tree, model = _build(ops)
    assert tree.root == reference_root(model)
    assert len(tree) == len(model)
    assert dict(tree.items()) == model


@SETTINGS
@given(ops=operations, extra=keys)
def test_every_key_proves_what_the_model_holds(ops: list[tuple[bytes, bytes]], extra: bytes) -> None:
    tree, model = _build(ops)
    for key in [*model, extra]:
        proof = tree.prove(key)
        assert verify_lookup(tree.root, key, proof) == model.get(key)
        if key in model:
            value = next(v for k, v in reversed(ops) if k == key)
            verify_value(tree.root, key, value, proof)
        else:
            verify_absence(tree.root, key, proof)


@SETTINGS
@given(ops=operations)
def test_the_insertion_order_does_not_change_the_root(ops: list[tuple[bytes, bytes]]) -> None:
    tree, model = _build(ops)
    shuffled = StatusMapTree()
    for key in sorted(model, reverse=True):
        shuffled.put_hash(key, model[key])
    assert shuffled.root == tree.root


def _mutations(proof: MapProof, tree: StatusMapTree, position: int, flip: int) -> list[MapProof]:
    """What a dishonest server could send instead of `proof`: each is refused or harmless."""
    forged: list[MapProof] = []
    siblings = list(proof.siblings)
    if siblings:
        index = position % len(siblings)
        changed = bytearray(siblings[index])
        changed[flip % 32] ^= 1 << (flip % 8)
        forged.append(replace(proof, siblings=(*siblings[:index], bytes(changed), *siblings[index + 1 :])))
        forged.append(replace(proof, siblings=tuple(siblings[:index] + siblings[index + 1 :])))  # one dropped
        forged.append(replace(proof, siblings=tuple(siblings[1:])))  # the leaf claimed one level higher
        forged.append(replace(proof, siblings=tuple(reversed(siblings))))
    forged.append(replace(proof, siblings=(EMPTY, *siblings)))  # the leaf claimed one level deeper
    forged.append(replace(proof, siblings=(*siblings, EMPTY)))
    forged.append(replace(proof, leaf=None))
    for other_key, other_value in list(tree.items())[:3]:
        forged.append(replace(proof, leaf=MapLeaf(other_key, other_value)))
    if proof.leaf is not None:
        forged.append(replace(proof, leaf=MapLeaf(proof.leaf.key, _sha(proof.leaf.value_sha256))))
    return forged


@SETTINGS
@given(ops=operations, probe=keys, position=st.integers(0, 300), flip=st.integers(0, 255))
def test_a_forged_proof_never_yields_a_wrong_answer(
    ops: list[tuple[bytes, bytes]], probe: bytes, position: int, flip: int
) -> None:
    tree, model = _build(ops)
    for key in [probe, *list(model)[:3]]:
        for forged in _mutations(tree.prove(key), tree, position, flip):
            try:
                answer = verify_lookup(tree.root, key, forged)
            except ProofInvalid:
                continue
            assert answer == model.get(key), "a forged proof was accepted with a wrong answer"


@SETTINGS
@given(ops=operations.filter(lambda ops: len({k for k, _ in ops}) >= 2), position=st.integers(0, 300))
def test_a_proof_for_one_key_does_not_show_another_keys_value(ops: list[tuple[bytes, bytes]], position: int) -> None:
    tree, model = _build(ops)
    present = sorted(model)
    key, other = present[position % len(present)], present[(position + 1) % len(present)]
    proof = tree.prove(key)
    value = next(v for k, v in reversed(ops) if k == key)
    with pytest.raises(ProofInvalid):
        verify_value(tree.root, other, value, proof)
    with pytest.raises(ProofInvalid):
        verify_absence(tree.root, other, proof)


@SETTINGS
@given(ops=operations, probe=keys, wrong=values)
def test_a_wrong_value_or_root_is_refused(ops: list[tuple[bytes, bytes]], probe: bytes, wrong: bytes) -> None:
    tree, _ = _build(ops)
    tree.put(probe, b"the real value")
    proof = tree.prove(probe)
    if _sha(wrong) != _sha(b"the real value"):
        with pytest.raises(ProofInvalid, match="VALUE_MISMATCH"):
            verify_value(tree.root, probe, wrong, proof)
    with pytest.raises(ProofInvalid, match="KEY_PRESENT"):
        verify_absence(tree.root, probe, proof)
    with pytest.raises(ProofInvalid):
        verify_value(map_node_hash(tree.root, EMPTY), probe, b"the real value", proof)


@SETTINGS
@given(ops=operations.filter(bool), probe=keys)
def test_a_present_key_has_no_absence_proof_built_from_its_neighbourhood(
    ops: list[tuple[bytes, bytes]], probe: bytes
) -> None:
    tree, _ = _build([*ops, (probe, b"present")])
    proof = tree.prove(probe)
    for leaf in (None, *(MapLeaf(k, v) for k, v in list(tree.items())[:5] if k != probe)):
        with pytest.raises(ProofInvalid):
            verify_absence(tree.root, probe, replace(proof, leaf=leaf))


def test_empty_map() -> None:
    tree = StatusMapTree()
    assert tree.root == EMPTY
    proof = tree.prove(bytes(32))
    assert proof == MapProof(None, ())
    verify_absence(EMPTY, bytes(32), proof)
    with pytest.raises(ProofInvalid, match="ROOT_MISMATCH"):
        verify_absence(map_leaf_hash(bytes(32), bytes(32)), bytes(range(32)), proof)


def test_a_single_entry_is_the_root_and_a_second_splits_at_the_first_differing_bit() -> None:
    first, second = bytes(32), bytes([0b0010_0000]) + bytes(31)  # differ at bit 2
    tree = StatusMapTree()
    tree.put(first, b"a")
    assert tree.root == map_leaf_hash(first, _sha(b"a"))
    tree.put(second, b"b")
    leaves = map_node_hash(map_leaf_hash(first, _sha(b"a")), map_leaf_hash(second, _sha(b"b")))
    assert tree.root == map_node_hash(map_node_hash(leaves, EMPTY), EMPTY)
    assert tree.prove(first).siblings == (map_leaf_hash(second, _sha(b"b")), EMPTY, EMPTY)
    assert tree.rows == 5  # three nodes on the shared path, two leaves


def test_the_root_of_a_fixed_map_is_pinned() -> None:
    """Pins the byte format (prefixes, bit order, collapse) against an accidental change."""
    tree = StatusMapTree()
    for number in range(5):
        tree.put(hashlib.sha256(b"certificate %d" % number).digest(), b"head %d" % number)
    assert tree.root.hex() == PINNED_ROOT
    assert reference_root(dict(tree.items())).hex() == PINNED_ROOT


PINNED_ROOT = "b79b6ed45e87c14b31c29ab09eac8cdf47c26e82c9ee6e655e577de99d6d5341"


def test_non_canonical_proofs_are_refused() -> None:
    key = bytes(32)
    leaf = MapLeaf(key, _sha(b"v"))
    root = map_node_hash(leaf.hash, EMPTY)  # a one-entry subtree that did not collapse
    with pytest.raises(ProofInvalid, match="NON_CANONICAL"):
        verify_lookup(root, key, MapProof(leaf, (EMPTY,)))


def test_bits_are_read_most_significant_first() -> None:
    key = bytes([0b1000_0001]) + bytes(30) + b"\x01"
    assert [bit(key, d) for d in (0, 1, 7, 8, 255)] == [1, 0, 1, 0, 1]


def test_proof_json_round_trips_and_is_strict() -> None:
    tree = StatusMapTree()
    for number in range(20):
        tree.put(hashlib.sha256(b"%d" % number).digest(), b"v")
    proof = tree.prove(hashlib.sha256(b"3").digest())
    assert MapProof.from_json(proof.to_json()) == proof
    data = proof.to_json()
    bad = [
        {**data, "extra": 1},
        {"leaf": data["leaf"]},
        {**data, "siblings": [s.rstrip("=") for s in data["siblings"]]},
        {**data, "leaf": {**data["leaf"], "key": data["leaf"]["key"].upper()}},
        {**data, "leaf": {"key": data["leaf"]["key"]}},
        {**data, "siblings": ["AAAA"]},
        {**data, "siblings": [data["siblings"][0]] * 257},
        [data],
    ]
    for document in bad:
        with pytest.raises(MalformedInput):
            MapProof.from_json(document)


CERTIFICATE = hashlib.sha256(b"a credential").digest()


def test_chain_head_value_is_canonical_json_and_checked() -> None:
    head = ChainHeadValue(certificate_leaf=7, sequence=2, head_sha256="ab" * 32, head_leaf=19)
    encoded = head.encode()
    assert encoded == (b'{"certificate_leaf":7,"head_leaf":19,"head_sha256":"' + b"ab" * 32 + b'","sequence":2,"v":1}')
    assert ChainHeadValue.decode(encoded) == head
    for bad in (encoded.replace(b",", b", ", 1), encoded.replace(b'"v":1', b'"v":2'), b"[]", encoded + b" "):
        with pytest.raises(MalformedInput):
            ChainHeadValue.decode(bad)
    for fields in (
        {"sequence": 0, "head_leaf": 19},  # no event, but the head is not the credential's leaf
        {"head_leaf": 7},  # an event logged at its own credential's leaf
        {"sequence": -1},
        {"head_sha256": "AB" * 32},
        {"certificate_leaf": True},
    ):
        with pytest.raises(MalformedInput):
            replace(head, **fields)  # type: ignore[arg-type]  # deliberately wrong types among them


def test_chain_head_proof_for_a_certificate_without_events() -> None:
    tree = StatusMapTree()
    head = ChainHeadValue(certificate_leaf=3, sequence=0, head_sha256=CERTIFICATE.hex(), head_leaf=3)
    tree.put(CERTIFICATE, head.encode())
    verify_chain_head(tree.root, CERTIFICATE, head, tree.prove(CERTIFICATE))
    impostor = replace(head, head_sha256="cd" * 32)
    tree.put(CERTIFICATE, impostor.encode())  # a map that names something else as the chain's start
    with pytest.raises(ProofInvalid, match="HEAD_NOT_CERTIFICATE"):
        verify_chain_head(tree.root, CERTIFICATE, impostor, tree.prove(CERTIFICATE))


def test_an_older_chain_head_is_refused_after_an_event() -> None:
    tree = StatusMapTree()
    created = ChainHeadValue(certificate_leaf=3, sequence=0, head_sha256=CERTIFICATE.hex(), head_leaf=3)
    tree.put(CERTIFICATE, created.encode())
    old_root, old_proof = tree.root, tree.prove(CERTIFICATE)
    withdrawn = ChainHeadValue(certificate_leaf=3, sequence=1, head_sha256="ef" * 32, head_leaf=40)
    tree.put(CERTIFICATE, withdrawn.encode())
    verify_chain_head(tree.root, CERTIFICATE, withdrawn, tree.prove(CERTIFICATE))
    verify_chain_head(old_root, CERTIFICATE, created, old_proof)  # true of the older root only
    with pytest.raises(ProofInvalid, match="ROOT_MISMATCH"):
        verify_chain_head(tree.root, CERTIFICATE, created, old_proof)
    with pytest.raises(ProofInvalid):
        verify_chain_head(tree.root, CERTIFICATE, None, tree.prove(CERTIFICATE))


def test_a_leaf_off_the_keys_path_is_named_as_such() -> None:
    """Implied by collision resistance (the fold would miss the root), but named before hashing."""
    tree = StatusMapTree()
    left, right = bytes(32), b"\xff" * 32
    tree.put(left, b"l")
    tree.put(right, b"r")
    forged = MapProof(MapLeaf(right, _sha(b"r")), tree.prove(left).siblings)
    with pytest.raises(ProofInvalid, match="LEAF_OFF_PATH"):
        verify_lookup(tree.root, left, forged)


def test_module_docstring_example_runs() -> None:
    failures, tried = doctest.testmod(status_map, raise_on_error=False)
    assert tried > 0
    assert failures == 0


@SETTINGS
@given(ops=operations, key=keys, value=values)
def test_a_tree_holding_only_one_paths_rows_updates_as_the_whole_tree_does(
    ops: list[tuple[bytes, bytes]], key: bytes, value: bytes
) -> None:
    """What a database store does: load the path and its siblings, put, write back the named rows."""
    tree, _ = _build(ops)
    partial = StatusMapTree.from_rows(tree.row(p) for p in path_positions(key, 0, 256) if tree.has(p))
    assert partial.root == tree.root
    assert partial.prove(key) == tree.prove(key)
    around = path_positions(key, 0, 256)
    before = {p: tree.row(p) for p in around if tree.has(p)}
    rows_before = tree.rows
    written = partial.put_hash(key, _sha(value))
    tree.put(key, value)
    changed = {p for p in around if tree.has(p) and before.get(p) != tree.row(p)}
    assert changed <= set(written)
    assert tree.rows - rows_before == len(changed - set(before))  # no row created off the path
    assert partial.root == tree.root
    assert {partial.row(p) for p in written} == {tree.row(p) for p in written}
    assert partial.prove(key) == tree.prove(key)
    assert partial.path_end(key) == tree.path_end(key) == len(tree.prove(key).siblings)
