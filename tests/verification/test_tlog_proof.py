"""verification.tlog_proof against C2SP tlog-proof, and the leaf input it carries as extra data."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verification.canonical import dumps_canonical
from verification.checkpoint import Checkpoint, sign_checkpoint
from verification.cosignature import Cosigner
from verification.errors import MalformedInput, ProofInvalid
from verification.leaf import DocumentKind, LeafInput, format_log_time, leaf_input, parse_leaf_input, parse_log_time
from verification.merkle import inclusion_proof, root_from_leaf_hashes
from verification.note import NoteSigner
from verification.policy import Policy, WitnessQuorumNotMet
from verification.receipt import Receipt
from verification.tlog_proof import TlogProof, verify_tlog_proof

# The head of tlog-proof's example, up to the checkpoint (whose signatures the spec elides).
SPEC_HEAD = (
    "c2sp.org/tlog-proof@v1\n"
    "extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n"
    "index 73894\n"
    "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
    "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
    "EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n"
    "RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n"
    "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
)
SPEC_CHECKPOINT = (
    "example.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n\n"
    "\u2014 example.com/fancylog hI2DJw==\n"
)
LOG = NoteSigner.from_private_key("registry.test/log", Cosigner.generate("k").private_key)
WITNESS = Cosigner.generate("witness.test/w1")
POLICY = Policy.parse(f"log {LOG.verifier().to_string()}\nwitness w {WITNESS.key.to_string()}\nquorum w\n")
DOCUMENTS = [b"document %d" % i for i in range(7)]


def _leaves() -> list[LeafInput]:
    return [
        LeafInput(DocumentKind.CERTIFICATE, 1_767_225_600_000_000 + i, hashlib.sha256(d).digest())
        for i, d in enumerate(DOCUMENTS)
    ]


def _proof_for(index: int, *, witnessed: bool = True) -> TlogProof:
    leaves = [leaf.leaf_hash for leaf in _leaves()]
    checkpoint = Checkpoint("registry.test/log", len(leaves), root_from_leaf_hashes(leaves))
    note = sign_checkpoint(checkpoint, LOG)
    if witnessed:
        note += WITNESS.cosign(checkpoint.to_text(), 1_700_000_000).to_line()
    path = inclusion_proof(index, len(leaves), lambda a, b: root_from_leaf_hashes(leaves[a:b]))
    return TlogProof(index, tuple(path), note, _leaves()[index].encode())


def test_the_spec_example_parses_and_prints_back() -> None:
    proof = TlogProof.parse(SPEC_HEAD + "\n" + SPEC_CHECKPOINT)
    assert proof.leaf_index == 73894
    assert len(proof.inclusion_proof) == 5
    assert proof.extra is not None
    assert proof.extra.startswith(b"age-v1.2.1-darwin-arm64.tar.gz")
    assert proof.checkpoint == SPEC_CHECKPOINT
    assert proof.to_text() == SPEC_HEAD + "\n" + SPEC_CHECKPOINT


def test_a_proof_verifies_offline_under_the_policy() -> None:
    for index in range(len(DOCUMENTS)):
        text = _proof_for(index).to_text()
        checkpoint, leaf = verify_tlog_proof(TlogProof.parse(text), DOCUMENTS[index], POLICY)
        assert checkpoint.tree_size == len(DOCUMENTS)
        assert leaf.kind is DocumentKind.CERTIFICATE


def test_a_proof_fails_for_other_bytes_another_index_or_without_witnesses() -> None:
    proof = _proof_for(3)
    with pytest.raises(ProofInvalid, match="LEAF_MISMATCH"):
        verify_tlog_proof(proof, DOCUMENTS[2], POLICY)
    moved = TlogProof(4, proof.inclusion_proof, proof.checkpoint, proof.extra)
    with pytest.raises(ProofInvalid):
        verify_tlog_proof(moved, DOCUMENTS[3], POLICY)
    with pytest.raises(WitnessQuorumNotMet):
        verify_tlog_proof(_proof_for(3, witnessed=False), DOCUMENTS[3], POLICY)
    assert verify_tlog_proof(_proof_for(3, witnessed=False), DOCUMENTS[3], Policy.no_witnesses(LOG.verifier()))


def test_a_receipt_converts_to_the_same_evidence() -> None:
    proof = _proof_for(5, witnessed=False)
    leaf = _leaves()[5]
    receipt = Receipt(5, leaf.kind, leaf.integrated_us, leaf.leaf_hash, proof.checkpoint, proof.inclusion_proof)
    assert TlogProof.from_receipt(receipt, hashlib.sha256(DOCUMENTS[5]).digest()) == proof


@pytest.mark.parametrize(
    "text",
    [
        "c2sp.org/tlog-proof@v2\nindex 1\n\n" + SPEC_CHECKPOINT,
        "c2sp.org/tlog-proof@v1\nindex 01\n\n" + SPEC_CHECKPOINT,
        "c2sp.org/tlog-proof@v1\nindex -1\n\n" + SPEC_CHECKPOINT,
        "c2sp.org/tlog-proof@v1\nextra ***\nindex 1\n\n" + SPEC_CHECKPOINT,
        "c2sp.org/tlog-proof@v1\nindex 1\nnot base64\n\n" + SPEC_CHECKPOINT,
        "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\n" + SPEC_CHECKPOINT,  # not a 32-byte hash
        "c2sp.org/tlog-proof@v1\nindex 1\n",
        "c2sp.org/tlog-proof@v1\n\n" + SPEC_CHECKPOINT,
    ],
)
def test_malformed_proofs_are_refused(text: str) -> None:
    with pytest.raises(MalformedInput):
        TlogProof.parse(text)


def test_the_leaf_input_parses_only_in_its_canonical_form() -> None:
    digest = hashlib.sha256(b"x").digest()
    canonical = leaf_input(DocumentKind.SUPPLY_CHAIN, 1_767_225_600_123_456, digest)
    assert canonical == (
        b'{"document_sha256":"' + digest.hex().encode() + b'","integrated_at":"2026-01-01T00:00:00.123456Z",'
        b'"kind":"supply_chain","v":1}'
    )
    assert parse_leaf_input(canonical) == LeafInput(DocumentKind.SUPPLY_CHAIN, 1_767_225_600_123_456, digest)
    variants = [
        canonical.replace(b'"v":1', b'"v":1.0'),
        canonical.replace(b'"v":1', b'"v":true'),
        canonical.replace(b'"v":1', b'"v":2'),
        canonical.replace(b",", b", ", 1),
        canonical.replace(digest.hex().encode(), digest.hex().upper().encode()),
        canonical.replace(b"supply_chain", b"receipt"),
        canonical.replace(b".123456Z", b".123Z"),
        canonical[:-1] + b',"extra":0}',
        b"[]",
        b"",
    ]
    for variant in variants:
        with pytest.raises(MalformedInput, match=r"BAD_LEAF_INPUT|BAD_TIMESTAMP"):
            parse_leaf_input(variant)


@given(st.integers(min_value=0, max_value=253_402_300_799_999_999))  # 1970-01-01 .. 9999-12-31T23:59:59.999999Z
def test_log_time_formatting_is_datetime_s(microseconds: int) -> None:
    expected = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=microseconds)).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )
    assert format_log_time(microseconds).lstrip("0") == expected.lstrip("0")
    assert parse_log_time(format_log_time(microseconds)) == microseconds


@given(
    st.sampled_from(list(DocumentKind)),
    st.integers(min_value=0, max_value=253_402_300_799_999_999),
    st.binary(min_size=32, max_size=32),
)
def test_the_leaf_input_is_the_rfc_8785_form_and_parses_back(kind: DocumentKind, at: int, digest: bytes) -> None:
    encoded = leaf_input(kind, at, digest)
    reference = {"v": 1, "kind": kind.value, "integrated_at": format_log_time(at), "document_sha256": digest.hex()}
    assert encoded == dumps_canonical(reference)
    assert parse_leaf_input(encoded) == LeafInput(kind, at, digest)


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30T00:00:00.000000Z",
        "2026-13-01T00:00:00.000000Z",
        "2026-01-01T24:00:00.000000Z",
        "2026-12-31T23:59:60.000000Z",
        "2026-01-01T00:00:00.000000+00:00",
        "\u0662026-01-01T00:00:00.000000Z",
    ],
)
def test_log_times_that_are_not_instants_are_refused(text: str) -> None:
    with pytest.raises(MalformedInput, match="BAD_TIMESTAMP"):
        parse_log_time(text)
