"""Every certificate query, in SQLAlchemy Core (ingest and lookup are hot paths)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, exists, insert, select, tuple_, update

from ecolabel_registry.db.models import (
    Certificate,
    CertificateEvent,
    CertificateHolderId,
    CertificateProduct,
    LogEntry,
)

certificates = Certificate.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
products = CertificateProduct.__table__  # type: ignore[attr-defined]
holder_ids = CertificateHolderId.__table__  # type: ignore[attr-defined]
events = CertificateEvent.__table__  # type: ignore[attr-defined]
entries = LogEntry.__table__  # type: ignore[attr-defined]
_IN_BATCH = 400  # keeps every IN list under every backend's bound-parameter limit


@dataclass
class NewCertificate:
    row: dict[str, Any]
    products: list[dict[str, Any]]
    holder_ids: list[dict[str, Any]]


def existing_ids(connection: Connection, ids: Iterable[str]) -> dict[str, int]:
    """certificate id -> leaf index, for the ids already registered."""
    found: dict[str, int] = {}
    wanted = sorted(set(ids))
    for i in range(0, len(wanted), _IN_BATCH):
        rows = connection.execute(
            select(certificates.c.id, certificates.c.leaf_index).where(certificates.c.id.in_(wanted[i : i + _IN_BATCH]))
        )
        found.update({row.id: row.leaf_index for row in rows})
    return found


def current_for_licences(connection: Connection, licences: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(programme, licence number) -> the id of its current (not superseded) certificate."""
    found: dict[tuple[str, str], str] = {}
    wanted = sorted(set(licences))
    for i in range(0, len(wanted), _IN_BATCH):
        rows = connection.execute(
            select(certificates.c.id, certificates.c.programme_id, certificates.c.licence_number).where(
                tuple_(certificates.c.programme_id, certificates.c.licence_number).in_(wanted[i : i + _IN_BATCH]),
                certificates.c.superseded_by.is_(None),
            )
        )
        found.update({(row.programme_id, row.licence_number): row.id for row in rows})
    return found


def insert_certificates(connection: Connection, new: Sequence[NewCertificate]) -> None:
    connection.execute(insert(certificates), [item.row for item in new])
    product_rows = [p for item in new for p in item.products]
    if product_rows:
        connection.execute(insert(products), product_rows)
    id_rows = [h for item in new for h in item.holder_ids]
    if id_rows:
        connection.execute(insert(holder_ids), id_rows)


def mark_superseded(connection: Connection, old_id: str, new_id: str) -> None:
    connection.execute(update(certificates).where(certificates.c.id == old_id).values(superseded_by=new_id))


def get(connection: Connection, certificate_id: str) -> RowMapping | None:
    query = (
        select(certificates, entries.c.document)
        .join(entries, entries.c.leaf_index == certificates.c.leaf_index)
        .where(certificates.c.id == certificate_id)
    )
    return connection.execute(query).mappings().first()


def search(connection: Connection, filters: dict[str, Any], after: str | None, limit: int) -> list[RowMapping]:
    query = select(certificates).order_by(certificates.c.id).limit(limit)
    if after is not None:
        query = query.where(certificates.c.id > after)
    if filters.get("programme"):
        query = query.where(certificates.c.programme_id == filters["programme"])
    if filters.get("licence_no"):
        query = query.where(certificates.c.licence_number == filters["licence_no"])
    if filters.get("category"):
        query = query.where(certificates.c.category_code == filters["category"])
    if filters.get("gtin"):
        query = query.where(
            exists().where(products.c.certificate_id == certificates.c.id, products.c.gtin == filters["gtin"])
        )
    if filters.get("holder"):
        query = query.where(
            exists().where(holder_ids.c.certificate_id == certificates.c.id, holder_ids.c.value == filters["holder"])
        )
    return list(connection.execute(query).mappings())


def _grouped(connection: Connection, table: Any, ids: Sequence[str], *order: Any) -> dict[str, list[RowMapping]]:
    """Rows of a per-certificate table for many certificates, grouped by certificate id, in `order`."""
    found: dict[str, list[RowMapping]] = defaultdict(list)
    for i in range(0, len(ids), _IN_BATCH):
        query = select(table).where(table.c.certificate_id.in_(ids[i : i + _IN_BATCH]))
        for row in connection.execute(query.order_by(table.c.certificate_id, *order)).mappings():
            found[row["certificate_id"]].append(row)
    return found


def products_of(connection: Connection, ids: Sequence[str]) -> dict[str, list[RowMapping]]:
    return _grouped(connection, products, ids, products.c.position)


def holder_ids_of(connection: Connection, ids: Sequence[str]) -> dict[str, list[RowMapping]]:
    return _grouped(connection, holder_ids, ids, holder_ids.c.scheme, holder_ids.c.value)


def events_of(connection: Connection, ids: Sequence[str]) -> dict[str, list[RowMapping]]:
    return _grouped(connection, events, ids, events.c.sequence)


def append_event(connection: Connection, row: dict[str, Any], *, expected_count: int, lifecycle: str) -> bool:
    """Record an event and move the chain head; False if the head moved meanwhile (never under the lock)."""
    moved = connection.execute(
        update(certificates)
        .where(certificates.c.id == row["certificate_id"], certificates.c.event_count == expected_count)
        .values(event_count=expected_count + 1, last_event_sha256=row["sha256"], lifecycle=lifecycle)
    )
    if moved.rowcount != 1:
        return False
    connection.execute(insert(events), [row])
    return True
