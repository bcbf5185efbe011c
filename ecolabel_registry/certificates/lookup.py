"""Reading certificates back: by id with history, or by filters, each with its status on a date."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping

from ecolabel_registry.certificates import repository
from ecolabel_registry.certificates.schemas import (
    CertificateDetail,
    CertificateOut,
    EventOut,
    SigningKeyCheck,
)
from ecolabel_registry.certificates.standing import changes_of, judge_row, judge_rows
from ecolabel_registry.clock import now, now_us
from ecolabel_registry.errors import LogIntegrityError, NotFound
from ecolabel_registry.programmes import keys
from verification.keys import KeyRecord
from verification.leaf import format_log_time, from_microseconds, to_microseconds
from verification.standing import DOCUMENT_REASONS, Standing
from verification.status import CertificateStatus, Lifecycle

# A filtered search reads at most this many candidate rows per page before it answers with a cursor.
_SCAN_ROUNDS = 20


def lifecycle_of(row: Mapping[Any, Any], events: Sequence[RowMapping]) -> Lifecycle:
    return Lifecycle(
        valid_from=from_microseconds(row["valid_from_us"]),
        valid_until=from_microseconds(row["valid_until_us"]),
        changes=changes_of(events) if events else (),  # most have none
    )


def get(
    connection: Connection, certificate_id: str, *, at: datetime | None = None, known_at: datetime | None = None
) -> CertificateDetail:
    row = repository.get(connection, certificate_id)
    if row is None:
        raise NotFound(f"no certificate {certificate_id}")
    at = at or now()
    # event_count moves with every event in the same transaction: 0 means there is nothing to read.
    events = repository.events_of(connection, [certificate_id])[certificate_id] if row["event_count"] else []
    key = keys.load(connection, [(row["programme_id"], row["signing_kid"])]).get(
        (row["programme_id"], row["signing_kid"])
    )
    document = bytes(row["document"])
    known_at_us = to_microseconds(known_at) if known_at else None
    standing = judge_row(row, document, key, events, at=at, known_at_us=known_at_us)
    if not standing.document_sound or key is None:
        # Never serve another licence's credential, or one the record misdescribes, under this id.
        found = ", ".join(r for r in standing.reasons if r in DOCUMENT_REASONS)
        raise LogIntegrityError(f"the stored credential of certificate {certificate_id} fails its check: {found}")
    base = _out(row, standing, at, repository.products_of(connection, [certificate_id]), _ids(connection, [row]))
    key_check = SigningKeyCheck(
        kid=key.kid, status=key.status, valid_for_this_certificate=standing.key_code is None, code=standing.key_code
    )
    return CertificateDetail(
        **base.model_dump(),
        history=[event_out(event) for event in events],
        next_event={
            "sequence": row["event_count"] + 1,
            "previous": row["last_event_sha256"] or row["id"],
        },
        signing_key=key_check,
        credential=document.decode("ascii"),
    )


def accepted(
    stored: repository.NewCertificate,
    document: bytes,
    key: KeyRecord,
    *,
    digest: bytes | None = None,
) -> dict[str, Any]:
    """The view `get` gives of a certificate just accepted, from the rows its commit stored, as plain
    values (`view`), for an answer written without building the model.

    Nothing has happened to it since (no event, no successor: those need it committed first), so its
    rows are exactly `stored`, its holder identifiers in the order `get` reads them. Its standing is
    judged by the same rule as every read; its signature check is the memo's entry from ingest
    (`verification.standing.remember_verified`), as of now. `digest`: the SHA-256 ingest took of `document`, these
    same bytes, handed on rather than taken again (~27,000 instructions on the event loop; BENCHMARKS.md).
    """
    at_us = now_us()  # as of now, its microseconds kept for the view
    row = stored.row
    standing = judge_row(row, document, key, (), at=from_microseconds(at_us), digest=digest, at_us=at_us)
    if not standing.document_sound:
        raise LogIntegrityError(f"the credential of certificate {row['id']} fails its check just after its commit")
    holder_ids = repository.in_holder_id_order(stored.holder_ids)
    return view(row, standing, at_us, {row["id"]: stored.products}, {row["id"]: holder_ids})


def search(
    connection: Connection,
    filters: dict[str, Any],
    *,
    status: CertificateStatus | None,
    at: datetime | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[CertificateOut], str | None]:
    """A page of certificates matching the filters; `status` is judged on `at` (default: now)."""
    at = at or now()
    found: list[CertificateOut] = []
    after = cursor
    for _ in range(_SCAN_ROUNDS):
        rows = repository.search(connection, filters, after, limit + 1)
        if not rows:
            return found, None
        ids = [row["id"] for row in rows]
        standings = judge_rows(connection, {row["id"]: row for row in rows}, at=at)
        products = repository.products_of(connection, ids)
        holder_ids = _ids(connection, rows)
        for row in rows:
            standing = standings[row["id"]]
            after = row["id"]
            if status is not None and standing.status is not status:
                continue
            found.append(_out(row, standing, at, products, holder_ids))
            if len(found) > limit:
                return found[:limit], found[limit - 1].id
        if len(rows) <= limit:
            return found, None
    return found, after  # scanned enough for one request: the caller continues from here


def _ids(connection: Connection, rows: Sequence[RowMapping]) -> dict[str, list[RowMapping]]:
    return repository.holder_ids_of(connection, [row["id"] for row in rows])


def _out(
    row: Mapping[Any, Any],
    standing: Standing,
    at: datetime,
    products: Mapping[str, Sequence[Mapping[Any, Any]]],
    holder_ids: Mapping[str, Sequence[Mapping[Any, Any]]],
) -> CertificateOut:
    return CertificateOut.model_validate(view(row, standing, to_microseconds(at), products, holder_ids))


def view(
    row: Mapping[Any, Any],
    standing: Standing,
    at_us: int,
    products: Mapping[str, Sequence[Mapping[Any, Any]]],
    holder_ids: Mapping[str, Sequence[Mapping[Any, Any]]],
) -> dict[str, Any]:
    """A certificate as `CertificateOut` shows it, in plain JSON values and in the model's field order:
    the one assembly of the view, for the model (`_out`) and for answers written straight to JSON, whose
    bytes are then the model's (`tests/registry/test_submission_answer.py`). `at_us`: the instant its
    standing was judged on, in the microseconds the caller has it in (not taken again from a datetime)."""
    return {
        "id": row["id"],
        "programme_id": row["programme_id"],
        "licence_number": row["licence_number"],
        "category": {"code": row["category_code"], "criteria_version": row["criteria_version"]},
        "holder": {
            "name": row["holder_name"],
            "country": row["holder_country"],
            "identifiers": [{"scheme": i["scheme"], "value": i["value"]} for i in holder_ids.get(row["id"], [])],
        },
        "products": [
            {"name": p["name"], "brand": p["brand"], "model": p["model"], "gtin": p["gtin"]}
            for p in products.get(row["id"], [])
        ],
        "valid_from": format_log_time(row["valid_from_us"]),
        "valid_until": format_log_time(standing.valid_until_us),
        "status": standing.status.value,
        "status_at": format_log_time(at_us),
        "supersedes": row["supersedes"],
        "superseded_by": row["superseded_by"],
        "signing_kid": row["signing_kid"],
        "leaf_index": row["leaf_index"],
        "integrated_at": format_log_time(row["integrated_us"]),
    }


def event_out(event: Mapping[Any, Any]) -> EventOut:
    return EventOut(
        sequence=event["sequence"],
        status=event["status"],
        effective_at=format_log_time(event["effective_us"]),
        reason=event["reason"],
        valid_until=format_log_time(event["valid_until_us"]) if event["valid_until_us"] is not None else None,
        sha256=event["sha256"],
        signing_kid=event["signing_kid"],
        leaf_index=event["leaf_index"],
        integrated_at=format_log_time(event["integrated_us"]),
    )
