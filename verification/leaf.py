"""What a log leaf commits to: the document's exact bytes (by SHA-256), its kind and the integration time.

The leaf input is the RFC 8785 canonical JSON of
`{"v": 1, "kind": ..., "integrated_at": "YYYY-MM-DDTHH:MM:SS.ffffffZ", "document_sha256": hex}`,
hashed as an RFC 9162 §2.1.1 leaf (prefix 0x00). Committing to the document's hash rather than its
bytes lets the public log carry private documents (supply-chain declarations) as hash commitments
that the parties allowed to read them can still check.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from verification.errors import MalformedInput
from verification.merkle import leaf_hash

LEAF_FORMAT_VERSION = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIMESTAMP = re.compile(r"\A([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{6})Z\Z")
_LEAF_INPUT = re.compile(
    rb'\A\{"document_sha256":"([0-9a-f]{64})","integrated_at":"([0-9T:.Z-]{27})","kind":"([a-z_]{1,32})","v":1\}\Z'
)


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
    #: The status map's root over the leaves before it (docs/VERIFIABLE-MAP.md §4.2); the registry
    #: appends it last in a transaction that logged a certificate or a status event.
    STATUS_MAP = "status_map"

    @property
    def is_public(self) -> bool:
        """Supply-chain documents are commercially sensitive: the public log shows only their hash."""
        return self is not DocumentKind.SUPPLY_CHAIN


@lru_cache(maxsize=4096)  # one append's leaves and receipts all carry the same log time
def format_log_time(microseconds: int) -> str:
    """Integration time as committed in a leaf: UTC, always six fractional digits.

    Through `time.gmtime` rather than `datetime`: the same text (a test compares them over the years
    1970 to 9999) in half the time, which counts when an entry bundle formats 256 of them.
    """
    seconds, fraction = divmod(microseconds, 1_000_000)
    return f"{_whole_seconds(seconds)}.{fraction:06d}Z"


@functools.lru_cache(maxsize=4096)
def _whole_seconds(seconds: int) -> str:
    # A pure function of its argument: the few instants an answer repeats (a certificate's validity,
    # "now" within one second) are formatted once (a single check formats four times).
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def parse_log_time(text: str) -> int:
    """The inverse of `format_log_time`; anything else is refused rather than normalised.

    The text must be exactly what `format_log_time` writes for the instant it names, so a day or an
    hour out of range (which `calendar.timegm` would carry over) and a leap second are refused too.
    """
    matched = _TIMESTAMP.match(text)
    if matched is None:
        raise MalformedInput("BAD_TIMESTAMP", f"log time must look like 2026-01-31T12:00:00.000000Z, got {text!r}")
    year, month, day, hour, minute, second, fraction = (int(part) for part in matched.groups())
    try:
        microseconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) * 1_000_000 + fraction
        valid = format_log_time(microseconds) == text
    except (ValueError, OverflowError):  # a month out of range; a year time.gmtime cannot represent
        valid = False
    if not valid:
        raise MalformedInput("BAD_TIMESTAMP", f"log time {text!r} is not a valid UTC instant")
    return microseconds


def to_microseconds(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the Unix epoch (how the registry stores time)."""
    if moment.tzinfo is None:
        raise MalformedInput("NAIVE_DATETIME", "times must carry a time zone")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_microseconds(microseconds: int) -> datetime:
    # One microsecond times the count: the same exact integer arithmetic as `timedelta(microseconds=...)`
    # without parsing a keyword argument, ~3,400 of its ~6,900 instructions (BENCHMARKS.md).
    return _EPOCH + _MICROSECOND * microseconds


_MICROSECOND = timedelta(microseconds=1)


def leaf_input(kind: DocumentKind, integrated_us: int, document_sha256: bytes) -> bytes:
    """RFC 8785 JSON of the four members, written directly: keys in sorted order, no whitespace, and
    values (a kind name, a log time, hex) that JSON never escapes. tests/verification/test_tlog_proof.py
    checks it against the reference canonicalizer."""
    if len(document_sha256) != 32:
        raise MalformedInput("BAD_HASH", "document_sha256 must be 32 bytes")
    return b'{"document_sha256":"%s","integrated_at":"%s","kind":"%s","v":%d}' % (
        document_sha256.hex().encode(),
        format_log_time(integrated_us).encode(),
        kind.value.encode(),
        LEAF_FORMAT_VERSION,
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

    The canonical form of a v1 leaf input is fixed (`leaf_input`), so it is matched whole: two different
    byte strings can never be read as the same leaf, and a leaf hash computed from the bytes and one
    computed from the parsed form agree.
    """
    matched = _LEAF_INPUT.match(data)
    if matched is None:
        raise MalformedInput(
            "BAD_LEAF_INPUT",
            'a leaf input is the RFC 8785 JSON of {"v": 1, "kind", "integrated_at", "document_sha256"}',
        )
    digest, integrated_at, kind = matched.groups()
    if kind.decode() not in DocumentKind._value2member_map_:
        raise MalformedInput("BAD_LEAF_INPUT", f"a leaf input names an unknown kind {kind[:32]!r}")
    return LeafInput(
        DocumentKind(kind.decode()), parse_log_time(integrated_at.decode()), bytes.fromhex(digest.decode())
    )


@dataclass(frozen=True)
class LogEntry:
    """One entry of the log as a client reads it: its leaf, what kind of document, and the document's bytes."""

    leaf_index: int
    kind: DocumentKind
    integrated_us: int
    leaf_hash: bytes
    document_sha256: bytes
    document: bytes | None
