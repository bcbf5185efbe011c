"""Receipts: what every write answers with, checkable offline with the registry's public key alone.

    receipt = Receipt.from_dict(response["receipt"])
    checkpoint = verify_receipt(receipt, document_bytes, NoteVerifier.from_string(registry_key))

A receipt proves that the registry logged these exact bytes, as this kind, at this time, at this index,
in a tree whose signed checkpoint it carries (RFC 9162 §2.1.3 inclusion proof).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verification.checkpoint import Checkpoint, verify_checkpoint
from verification.errors import MalformedInput, ProofInvalid
from verification.leaf import DocumentKind, entry_leaf_hash, format_log_time, parse_log_time
from verification.merkle import verify_inclusion
from verification.note import NoteVerifier
from verification.result import VerificationResult, capture


def _b64encode(data: bytes) -> str:
    """`base64.b64encode(data).decode()`, which is this call behind a Python wrapper (every receipt of every
    write writes some twenty hashes this way)."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")


@dataclass(frozen=True)
class Receipt:
    leaf_index: int
    kind: DocumentKind
    integrated_us: int
    leaf_hash: bytes
    checkpoint: str
    inclusion_proof: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if self.leaf_index < 0:
            raise MalformedInput("BAD_RECEIPT", "leaf_index must not be negative")
        if len(self.leaf_hash) != 32 or any(len(node) != 32 for node in self.inclusion_proof):
            raise MalformedInput("BAD_RECEIPT", "hashes in a receipt are 32 bytes")

    def to_dict(self) -> dict[str, Any]:
        return {
            "leaf_index": self.leaf_index,
            "kind": self.kind.value,
            "integrated_at": format_log_time(self.integrated_us),
            "leaf_hash": _b64encode(self.leaf_hash),
            "checkpoint": self.checkpoint,
            "inclusion_proof": [_b64encode(node) for node in self.inclusion_proof],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Receipt:
        try:
            return cls(
                leaf_index=_integer(data["leaf_index"]),
                kind=DocumentKind(data["kind"]),
                integrated_us=parse_log_time(str(data["integrated_at"])),
                leaf_hash=_b64(data["leaf_hash"]),
                checkpoint=_string(data["checkpoint"]),
                inclusion_proof=tuple(_b64(node) for node in _list(data["inclusion_proof"])),
            )
        except KeyError as exc:
            raise MalformedInput("BAD_RECEIPT", f"receipt lacks {exc.args[0]!r}") from exc
        except ValueError as exc:
            raise MalformedInput("BAD_RECEIPT", f"receipt field is invalid: {exc}") from exc


def verify_receipt(receipt: Receipt, document: bytes, verifier: NoteVerifier) -> Checkpoint:
    """Raise unless `document` is exactly what the registry logged under this receipt."""
    checkpoint = verify_checkpoint(receipt.checkpoint, verifier, origin=verifier.name)
    if receipt.leaf_index >= checkpoint.tree_size:
        raise ProofInvalid("INDEX_BEYOND_TREE", "the leaf index is not inside the receipt's checkpoint")
    expected = entry_leaf_hash(receipt.kind, receipt.integrated_us, document)
    if expected != receipt.leaf_hash:
        raise ProofInvalid("LEAF_MISMATCH", "the document bytes do not match the receipt's leaf hash")
    verify_inclusion(receipt.leaf_index, checkpoint.tree_size, expected, receipt.inclusion_proof, checkpoint.root_hash)
    return checkpoint


def check_receipt(receipt: Receipt, document: bytes, verifier: NoteVerifier) -> VerificationResult:
    """Non-raising twin of `verify_receipt`."""
    return capture(lambda: verify_receipt(receipt, document, verifier))


def _b64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError("expected a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not base64: {value!r}") from exc


def _integer(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("expected an integer")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value
