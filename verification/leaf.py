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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from verification.canonical import dumps_canonical_fast
from verification.errors import MalformedInput
from verification.merkle import leaf_hash
from verification.strictjson import loads_strict

LEAF_FORMAT_VERSION = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIMESTAMP = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\Z")
_SHA256_HEX = re.compile(r"\A[0-9a-f]{64}\Z")
_LEAF_KEYS = frozenset({"v", "kind", "integrated_at", "document_sha256"})


class DocumentKind(StrEnum):
    """Every kind of document the registry accepts; each becomes exactly one log leaf."""

    PROGRAMME = "programme"
    KEY_EVENT = "key_event"
    CATEGORY = "category"
    CERTIFICATE = "certificate"
    CERTIFICATE_EVENT = "certificate_event"
    AGREEMENT = "agreement"
    AGREEMENT_SIGNATURE = "agreement_signature"
    AGREEMENT_EVENT = "agreement_event"
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


@dataclass(frozen=True)
class LeafInput:
    """A leaf input, parsed: what each entry of an entry bundle (and a tlog-proof's extra line) holds."""

    kind: DocumentKind
    integrated_us: int
    document_sha256: bytes

    def encode(self) -> bytes:
        return leaf_input(self.kind, self.integrated_us, self.document_sha256)

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.encode())


def parse_leaf_input(data: bytes) -> LeafInput:
    """The inverse of `leaf_input`: refuses anything but the exact canonical bytes the registry hashes.

    Re-encoding and comparing makes the parse one-to-one: two different byte strings can never be read
    as the same leaf, so a leaf hash computed from the bytes and one computed from the parsed form agree.
    """
    try:
        value = loads_strict(data)
    except MalformedInput as err:
        raise MalformedInput("BAD_LEAF_INPUT", f"a leaf input is RFC 8785 JSON: {err.detail}") from err
    if not isinstance(value, dict) or set(value) != _LEAF_KEYS or value["v"] != LEAF_FORMAT_VERSION:
        raise MalformedInput("BAD_LEAF_INPUT", 'a leaf input is {"v": 1, "kind", "integrated_at", "document_sha256"}')
    digest, kind = value["document_sha256"], value["kind"]
    if not isinstance(digest, str) or not _SHA256_HEX.match(digest) or kind not in DocumentKind._value2member_map_:
        raise MalformedInput("BAD_LEAF_INPUT", "a leaf input names a known kind and a lowercase hex SHA-256")
    if not isinstance(value["integrated_at"], str):
        raise MalformedInput("BAD_LEAF_INPUT", "a leaf input's integrated_at is a string")
    parsed = LeafInput(DocumentKind(kind), parse_log_time(value["integrated_at"]), bytes.fromhex(digest))
    if parsed.encode() != bytes(data):
        raise MalformedInput("BAD_LEAF_INPUT", "the leaf input is not in its canonical (RFC 8785) form")
    return parsed
