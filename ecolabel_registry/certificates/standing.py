"""Reading what `verification.standing.judge` needs for stored certificates, in bulk, and asking it.

Every answer about a certificate's standing (lookup, single verification, eligibility, recognition,
supply-chain views) comes through here, so each judges the same inputs by the same rule: the exact
credential bytes as logged, the signing key's record, and the status chain in sequence order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping

from ecolabel_registry.certificates import repository
from ecolabel_registry.programmes import keys
from verification.evidence import CertificateEvidence, KeyHead, StatusHead
from verification.keys import KeyRecord
from verification.leaf import from_microseconds
from verification.payloads import StatusChange
from verification.standing import Credential, Presented, Standing, StoredOnDate, judge, judge_stored
from verification.status import Change


def record_of(row: Mapping[Any, Any]) -> Credential:
    """What the stored record says the credential says."""
    # By position, in the field order, and without the named tuple's own `__new__` (a Python function):
    # made for every certificate of a catalogue.
    return _credential(
        Credential,
        (
            row["programme_id"],
            row["licence_number"],
            row["category_code"],
            row["criteria_version"],
            row["valid_from_us"],
            row["valid_until_us"],
            row["signing_kid"],
        ),
    )


_credential = tuple.__new__


def changes_of(events: Sequence[Mapping[Any, Any]]) -> tuple[Change, ...]:
    return tuple(
        Change(
            status=StatusChange(event["status"]),
            effective_at=from_microseconds(event["effective_us"]),
            reason="",
            valid_until=from_microseconds(event["valid_until_us"]) if event["valid_until_us"] is not None else None,
            integrated_us=event["integrated_us"],
        )
        for event in events
    )


def judge_row(
    row: Mapping[Any, Any],
    document: bytes,
    key: KeyRecord | None,
    events: Sequence[Mapping[Any, Any]],
    *,
    at: datetime,
    known_at_us: int | None = None,
    digest: bytes | None = None,
    at_us: int | None = None,
) -> Standing:
    """The standing of a stored certificate row on `at`; `digest` and `at_us` as `judge_stored` takes them
    (the document's SHA-256 and `at` in microseconds, when the caller has them already)."""
    changes = changes_of(events) if events else ()
    if known_at_us is None:
        record = record_of(row)
        return judge_stored(
            row["id"],
            document,
            record,
            key,
            integrated_us=row["integrated_us"],
            changes=changes,
            at=at,
            digest=digest,
            at_us=at_us,
        )
    presented = Presented(row["id"], document, record_of(row), key, row["integrated_us"], changes)
    return judge(presented, at=at, known_at_us=known_at_us)


class RowsOnDate:
    """`judge_row(row, document, key, events, at=at)` for the many rows of one check on one date
    (`verification.standing.StoredOnDate`: the same memo keys, so the same standings)."""

    __slots__ = ("_judge",)

    def __init__(self, at: datetime) -> None:
        self._judge = StoredOnDate(at)

    def __call__(
        self, row: Mapping[Any, Any], document: bytes, key: KeyRecord | None, events: Sequence[RowMapping]
    ) -> Standing:
        changes = changes_of(events) if events else ()
        return self._judge(
            row["id"], document, record_of(row), key, integrated_us=row["integrated_us"], changes=changes
        )


def judge_rows(
    connection: Connection,
    rows: Mapping[str, Mapping[Any, Any]],
    *,
    at: datetime,
    known_at_us: int | None = None,
    events: Mapping[str, Sequence[RowMapping]] | None = None,
) -> dict[str, Standing]:
    """certificate id -> standing on `at`, reading the credentials, keys and (unless given) status events
    of these certificate rows in a few bulk statements."""
    if events is None:
        events = repository.events_of(connection, sorted(i for i, row in rows.items() if row["event_count"]))
    documents = repository.documents_at(connection, (row["leaf_index"] for row in rows.values()))
    key_records = keys.load(connection, {(row["programme_id"], row["signing_kid"]) for row in rows.values()})
    return {
        certificate_id: judge_row(
            row,
            documents.get(row["leaf_index"], b""),  # a missing log row: empty bytes never hash to an id
            key_records.get((row["programme_id"], row["signing_kid"])),
            events.get(certificate_id, ()),
            at=at,
            known_at_us=known_at_us,
        )
        for certificate_id, row in rows.items()
    }


def status_head(events: Sequence[Mapping[Any, Any]]) -> StatusHead:
    """The head of a status chain read in sequence order (sequence 0 without events)."""
    if not events:
        return _NO_STATUS_HEAD
    last = events[-1]
    return _tuple(StatusHead, (last["sequence"], last["sha256"], last["leaf_index"]))


_NO_STATUS_HEAD = StatusHead(0)  # a tuple: one serves every certificate without status events


def evidence_of(row: Mapping[Any, Any], events: Sequence[Mapping[Any, Any]], key_head: KeyHead) -> CertificateEvidence:
    """What a standing judged, by log position: the credential's leaf, the status and key chain heads."""
    # By position, in the fields' order, without the named tuple's own `__new__` (made for every answer
    # about a certificate).
    return _tuple(CertificateEvidence, (row["leaf_index"], status_head(events), key_head))


_tuple = tuple.__new__
