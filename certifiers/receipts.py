"""Offline checks of what the registry answers: each receipt must prove that our exact bytes were logged.

A receipt that does not verify is never shrugged off: it means the registry (or something between us)
claims to have logged a document it did not, so the run stops with `ReceiptRejected`.
"""

from __future__ import annotations

from certifiers.responses import RegistryAnswerInvalid, Written
from certifiers.signing import document_sha256
from verification.checkpoint import Checkpoint
from verification.errors import VerificationError
from verification.leaf import DocumentKind
from verification.note import NoteVerifier
from verification.receipt import Receipt, verify_receipt


class ReceiptRejected(RegistryAnswerInvalid):
    """A receipt or certificate id that does not match the document we sent."""


def check_receipt(receipt: Receipt, document: bytes, kind: DocumentKind, verifier: NoteVerifier) -> Checkpoint:
    if receipt.kind is not kind:
        raise ReceiptRejected(f"the receipt is for a {receipt.kind.value} leaf, not a {kind.value}")
    try:
        return verify_receipt(receipt, document, verifier)
    except VerificationError as exc:
        raise ReceiptRejected(f"receipt for leaf {receipt.leaf_index} does not verify: {exc.diagnostics()}") from exc


def check_written(written: Written, kind: DocumentKind, verifier: NoteVerifier) -> Checkpoint:
    return check_receipt(written.receipt, written.document, kind, verifier)


def check_certificate(
    token: str, certificate_id: str | None, receipt: Receipt | None, verifier: NoteVerifier
) -> Receipt:
    """The id must be the SHA-256 of our exact JWS, and the receipt must prove that JWS was logged."""
    expected = document_sha256(token)
    if certificate_id != expected:
        raise ReceiptRejected(f"the registry named certificate {certificate_id}, but our credential's id is {expected}")
    if receipt is None:
        raise ReceiptRejected(f"the registry acknowledged certificate {expected} without a receipt")
    check_receipt(receipt, token.encode("ascii"), DocumentKind.CERTIFICATE, verifier)
    return receipt
