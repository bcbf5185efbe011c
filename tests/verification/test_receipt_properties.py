"""Property tests on signed checkpoints and receipts: a receipt from a random log verifies offline, and a
single-bit change to the document, the leaf hash, any proof node, the checkpoint note, the log time or
the leaf index makes it fail.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verification.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from verification.ed25519 import generate_private_key
from verification.errors import VerificationError
from verification.leaf import DocumentKind, entry_leaf_hash
from verification.merkle import inclusion_proof, root_from_leaf_hashes
from verification.note import NoteSigner
from verification.receipt import Receipt, verify_receipt

SETTINGS = settings(max_examples=60, deadline=None)
ORIGIN = "registry.test/log"
SIGNER = NoteSigner.from_private_key(ORIGIN, generate_private_key())
VERIFIER = SIGNER.verifier()
START_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z


def _flip(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[(bit // 8) % len(changed)] ^= 1 << (bit % 8)
    return bytes(changed)


def _flip_text(text: str, bit: int) -> str:
    """Flip one of the low seven bits of one character of an ASCII text, so that it stays ASCII."""
    position = (bit // 7) % len(text)
    return text[:position] + chr(ord(text[position]) ^ (1 << (bit % 7))) + text[position + 1 :]


def _log(size: int, salt: int) -> tuple[list[bytes], list[bytes], int]:
    """Documents, their leaf hashes and the log time they were integrated at."""
    documents = [f"document {salt}:{n}".encode() for n in range(size)]
    integrated_us = START_US + salt
    leaves = [entry_leaf_hash(DocumentKind.CERTIFICATE, integrated_us, document) for document in documents]
    return documents, leaves, integrated_us


def _receipt(size: int, salt: int, index: int) -> tuple[bytes, Receipt]:
    documents, leaves, integrated_us = _log(size, salt)
    note = sign_checkpoint(Checkpoint(ORIGIN, size, root_from_leaf_hashes(leaves)), SIGNER)
    proof = inclusion_proof(index, size, lambda start, end: root_from_leaf_hashes(leaves[start:end]))
    receipt = Receipt(
        leaf_index=index,
        kind=DocumentKind.CERTIFICATE,
        integrated_us=integrated_us,
        leaf_hash=leaves[index],
        checkpoint=note,
        inclusion_proof=tuple(proof),
    )
    return documents[index], receipt


logs = st.tuples(st.integers(min_value=1, max_value=200), st.integers(min_value=0, max_value=2**31))
bits = st.integers(min_value=0, max_value=2**16)


@SETTINGS
@given(log=logs, data=st.data())
def test_a_receipt_from_any_log_verifies_and_survives_its_json_form(log: tuple[int, int], data: st.DataObject) -> None:
    size, salt = log
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    document, receipt = _receipt(size, salt, index)
    assert verify_receipt(receipt, document, VERIFIER).tree_size == size
    assert verify_receipt(Receipt.from_dict(receipt.to_dict()), document, VERIFIER).tree_size == size


@SETTINGS
@given(log=logs, data=st.data(), bit=bits)
def test_any_single_bit_change_to_a_receipt_or_its_document_fails(
    log: tuple[int, int], data: st.DataObject, bit: int
) -> None:
    size, salt = log
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    document, receipt = _receipt(size, salt, index)
    tampered = [
        (_flip(document, bit), receipt),
        (document, replace(receipt, leaf_hash=_flip(receipt.leaf_hash, bit))),
        (document, replace(receipt, integrated_us=receipt.integrated_us ^ (1 << (bit % 40)))),
        (document, replace(receipt, checkpoint=_flip_text(receipt.checkpoint, bit))),
    ]
    if receipt.inclusion_proof:
        position = data.draw(st.integers(min_value=0, max_value=len(receipt.inclusion_proof) - 1), label="node")
        nodes = list(receipt.inclusion_proof)
        nodes[position] = _flip(nodes[position], bit)
        tampered.append((document, replace(receipt, inclusion_proof=tuple(nodes))))
    if size > 1:
        other = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index), label="other")
        tampered.append((document, replace(receipt, leaf_index=other)))
    for changed_document, changed_receipt in tampered:
        with pytest.raises(VerificationError):
            verify_receipt(changed_receipt, changed_document, VERIFIER)


@SETTINGS
@given(size=st.integers(min_value=0, max_value=2**63), root=st.binary(min_size=32, max_size=32), bit=bits)
def test_a_checkpoint_round_trips_and_any_bit_change_to_its_note_fails(size: int, root: bytes, bit: int) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, size, root), SIGNER)
    assert verify_checkpoint(note, VERIFIER, origin=ORIGIN) == Checkpoint(ORIGIN, size, root)
    with pytest.raises(VerificationError):
        verify_checkpoint(_flip_text(note, bit), VERIFIER, origin=ORIGIN)


def test_a_checkpoint_signed_by_another_key_or_for_another_log_fails() -> None:
    root = hashlib.sha256(b"root").digest()
    stranger = NoteSigner.from_private_key(ORIGIN, generate_private_key())
    with pytest.raises(VerificationError):
        verify_checkpoint(sign_checkpoint(Checkpoint(ORIGIN, 5, root), stranger), VERIFIER)
    other_log = NoteSigner.from_private_key("other.test/log", generate_private_key())
    with pytest.raises(VerificationError):
        verify_checkpoint(
            sign_checkpoint(Checkpoint("other.test/log", 5, root), other_log), other_log.verifier(), origin=ORIGIN
        )
