"""What a log leaf commits to: the document's exact bytes (by SHA-256), its kind and the integration time.

The leaf input is the RFC 8785 canonical JSON of
`{"v": 1, "kind": ..., "integrated_at": "YYYY-MM-DDTHH:MM:SS.ffffffZ", "document_sha256": hex}`,
hashed as an RFC 9162 §2.1.1 leaf (prefix 0x00). Committing to the document's hash rather than its
bytes lets the public log carry private documents (supply-chain declarations) as hash commitments
that the parties allowed to read them can still check.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from verification.canonical import dumps_canonical_fast
from verification.errors import MalformedInput
from verification.merkle import leaf_hash

LEAF_FORMAT_VERSION = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIMESTAMP = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\Z")


class DocumentKind(StrEnum):
    """Every kind of document the registry accepts; each becomes exactly one log leaf."""

    PROGRAMME = "programme"
    KEY_EVENT = "key_event"
    KEY_EVENT_APPROVAL = "key_event_approval"
    PROGRAMME_RECOVERY = "programme_recovery"
    CATEGORY = "category"
    CERTIFICATE = "certificate"
    CERTIFICATE_EVENT = "certificate_event"
    AGREEMENT = "agreement"
    AGREEMENT_SIGNATURE = "agreement_signature"
    AGREEMENT_EVENT = "agreement_event"
    AGREEMENT_EVENT_APPROVAL = "agreement_event_approval"
    SUPPLY_CHAIN = "supply_chain"

    @property
    def is_public(self) -> bool:
        """Supply-chain documents are commercially sensitive: the public log shows only their hash."""
        return self is not DocumentKind.SUPPLY_CHAIN


def format_log_time(microseconds: int) -> str:
    """Integration time as committed in a leaf: UTC, always six fractional digits."""
    return from_microseconds(microseconds).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_log_time(text: str) -> int:
    """The inverse of `format_log_time`; anything else is refused rather than normalised."""
    if not _TIMESTAMP.match(text):
        raise MalformedInput("BAD_TIMESTAMP", f"log time must look like 2026-01-31T12:00:00.000000Z, got {text!r}")
    return to_microseconds(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC))


def to_microseconds(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the Unix epoch (how the registry stores time)."""
    if moment.tzinfo is None:
        raise MalformedInput("NAIVE_DATETIME", "times must carry a time zone")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_microseconds(microseconds: int) -> datetime:
    return _EPOCH + timedelta(microseconds=microseconds)


def leaf_input(kind: DocumentKind, integrated_us: int, document_sha256: bytes) -> bytes:
    if len(document_sha256) != 32:
        raise MalformedInput("BAD_HASH", "document_sha256 must be 32 bytes")
    return dumps_canonical_fast(
        {
            "v": LEAF_FORMAT_VERSION,
            "kind": kind.value,
            "integrated_at": format_log_time(integrated_us),
            "document_sha256": document_sha256.hex(),
        }
    )


def entry_leaf_hash(kind: DocumentKind, integrated_us: int, document: bytes) -> bytes:
    """The RFC 9162 leaf hash of a document as the registry logged it."""
    return leaf_hash(leaf_input(kind, integrated_us, hashlib.sha256(document).digest()))


def commitment_leaf_hash(kind: DocumentKind, integrated_us: int, document_sha256: bytes) -> bytes:
    """The same leaf hash from the document's hash alone (what the public sees of a private document)."""
    return leaf_hash(leaf_input(kind, integrated_us, document_sha256))
