"""Reading certificates back: by id with history, or by filters, each with its status on a date."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping

from ecolabel_registry.certificates import repository
from ecolabel_registry.certificates.schemas import (
    CategoryRef,
    CertificateDetail,
    CertificateOut,
    CertifiedProduct,
    EventOut,
    HolderOut,
    IdentifierOut,
    SigningKeyCheck,
)
from ecolabel_registry.errors import NotFound
from ecolabel_registry.programmes import keys
from verification.errors import KeyNotValid
from verification.keys import require_key_valid_at
from verification.leaf import format_log_time, from_microseconds, to_microseconds
from verification.payloads import StatusChange
from verification.status import CertificateStatus, Change, Lifecycle, StatusAnswer, status_as_of

# A filtered search reads at most this many candidate rows per page before it answers with a cursor.
_SCAN_ROUNDS = 20


def now() -> datetime:
    return from_microseconds(time.time_ns() // 1000)


def lifecycle_of(row: Mapping[Any, Any], events: Sequence[RowMapping]) -> Lifecycle:
    return Lifecycle(
        valid_from=from_microseconds(row["valid_from_us"]),
        valid_until=from_microseconds(row["valid_until_us"]),
        changes=tuple(_change(event) for event in events) if events else (),  # most have none: no generator
    )


def _change(event: RowMapping) -> Change:
    return Change(
        status=StatusChange(event["status"]),
        effective_at=from_microseconds(event["effective_us"]),
        reason="",
        valid_until=from_microseconds(event["valid_until_us"]) if event["valid_until_us"] is not None else None,
        integrated_us=event["integrated_us"],
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
    answer = status_as_of(lifecycle_of(row, events), at=at, known_at_us=to_microseconds(known_at) if known_at else None)
    base = _out(row, answer, at, repository.products_of(connection, [certificate_id]), _ids(connection, [row]))
    key = keys.load(connection, [(row["programme_id"], row["signing_kid"])])[(row["programme_id"], row["signing_kid"])]
    try:
        require_key_valid_at(key, row["integrated_us"])
        key_check = SigningKeyCheck(kid=key.kid, status=key.status, valid_for_this_certificate=True, code=None)
    except KeyNotValid as exc:
        key_check = SigningKeyCheck(kid=key.kid, status=key.status, valid_for_this_certificate=False, code=exc.code)
    return CertificateDetail(
        **base.model_dump(),
        history=[event_out(event) for event in events],
        next_event={
            "sequence": row["event_count"] + 1,
            "previous": row["last_event_sha256"] or row["id"],
        },
        signing_key=key_check,
        credential=bytes(row["document"]).decode("ascii"),
    )


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
        events = repository.events_of(connection, [row["id"] for row in rows if row["event_count"]])
        products = repository.products_of(connection, ids)
        holder_ids = _ids(connection, rows)
        for row in rows:
            answer = status_as_of(lifecycle_of(row, events[row["id"]]), at=at)
            after = row["id"]
            if status is not None and answer.status is not status:
                continue
            found.append(_out(row, answer, at, products, holder_ids))
            if len(found) > limit:
                return found[:limit], found[limit - 1].id
        if len(rows) <= limit:
            return found, None
    return found, after  # scanned enough for one request: the caller continues from here


def _ids(connection: Connection, rows: Sequence[RowMapping]) -> dict[str, list[RowMapping]]:
    return repository.holder_ids_of(connection, [row["id"] for row in rows])


def _out(
    row: RowMapping,
    answer: StatusAnswer,
    at: datetime,
    products: dict[str, list[RowMapping]],
    holder_ids: dict[str, list[RowMapping]],
) -> CertificateOut:
    return CertificateOut(
        id=row["id"],
        programme_id=row["programme_id"],
        licence_number=row["licence_number"],
        category=CategoryRef(code=row["category_code"], criteria_version=row["criteria_version"]),
        holder=HolderOut(
            name=row["holder_name"],
            country=row["holder_country"],
            identifiers=[IdentifierOut(scheme=i["scheme"], value=i["value"]) for i in holder_ids.get(row["id"], [])],
        ),
        products=[
            CertifiedProduct(name=p["name"], brand=p["brand"], model=p["model"], gtin=p["gtin"])
            for p in products.get(row["id"], [])
        ],
        valid_from=format_log_time(row["valid_from_us"]),
        valid_until=format_log_time(to_microseconds(answer.valid_until)),
        status=answer.status,
        status_at=format_log_time(to_microseconds(at)),
        supersedes=row["supersedes"],
        superseded_by=row["superseded_by"],
        signing_kid=row["signing_kid"],
        leaf_index=row["leaf_index"],
        integrated_at=format_log_time(row["integrated_us"]),
    )


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
