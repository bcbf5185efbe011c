"""Every certificate query, in SQLAlchemy Core (ingest and lookup are hot paths).

Statements that run on every request are built once, at import, with bind parameters: SQLAlchemy then
reuses their compiled form and memoized cache key, where a `select` built per call cost more than running
it (BENCHMARKS.md). Only `search`, whose shape depends on the filters, is built per call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, Select, Table, bindparam, exists, insert, select, update

from ecolabel_registry.db.bulk import insert_rows
from ecolabel_registry.db.lists import DIALECTS, one_of, rows_among, tuples_among
from ecolabel_registry.db.models import (
    Certificate,
    CertificateEvent,
    CertificateHolderId,
    CertificateProduct,
    LogEntry,
)
from ecolabel_registry.db.raw import Prebuilt

certificates = Certificate.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
products = CertificateProduct.__table__  # type: ignore[attr-defined]
holder_ids = CertificateHolderId.__table__  # type: ignore[attr-defined]
events = CertificateEvent.__table__  # type: ignore[attr-defined]
entries = LogEntry.__table__  # type: ignore[attr-defined]
# Lists of keys go through `db.lists`: batches of bound values on SQLite, one array on PostgreSQL.
_EXISTING = {
    d: Prebuilt(select(certificates.c.id, certificates.c.leaf_index).where(one_of(certificates.c.id, d)))
    for d in DIALECTS
}


def current_licence(dialect: str) -> tuple[ColumnElement[bool], ...]:
    """WHERE terms: the current (not superseded) certificate whose programme is the bound `programme`
    and whose licence number is one of the bound `values` (`db.lists`), for `rows_by_licence`.

    One programme per statement: SQLite 3.40 answers a row-value `(programme_id, licence_number) IN (...)`
    by scanning the whole table (EXPLAIN QUERY PLAN: SCAN certificates), so every batch got slower as the
    registry grew; this form uses ix_certificates_programme_licence on both backends.
    """
    return (
        certificates.c.programme_id == bindparam("programme"),
        one_of(certificates.c.licence_number, dialect),
        certificates.c.superseded_by.is_(None),
    )


_CURRENT = {
    d: select(certificates.c.id, certificates.c.programme_id, certificates.c.licence_number).where(*current_licence(d))
    for d in DIALECTS
}
_ONE_EXISTING = Prebuilt(
    select(certificates.c.id, certificates.c.leaf_index).where(certificates.c.id == bindparam("id"))
)
_GET = (
    select(certificates, entries.c.document)
    .join(entries, entries.c.leaf_index == certificates.c.leaf_index)
    .where(certificates.c.id == bindparam("id"))
)


def _of_certificates(table: Table, *order: Any, texts: bool = False) -> dict[str, Select[Any]]:
    """Rows of a per-certificate table for a list of certificate ids, grouped by certificate, in `order`;
    `texts`: the order columns are text, compared by code point (`code_point_order`)."""
    return {
        d: select(table)
        .where(one_of(table.c.certificate_id, d))
        .order_by(table.c.certificate_id, *(code_point_order(c, d) for c in order) if texts else order)
        for d in DIALECTS
    }


def code_point_order(column: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """`column` compared by code point, as Python compares `str`, whatever the database's collation.

    PostgreSQL orders text by the column's collation, which follows the database's locale (`en_US.UTF-8`
    puts `_z` before `B`, and `b` before `B`); its "C" collation compares the UTF-8 bytes, which is
    code-point order. SQLite's default collation (BINARY) is already byte order.
    """
    return column.collate("C") if dialect == "postgresql" else column


def in_holder_id_order(identifiers: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Holder identifiers in the order `holder_ids_of` reads them: scheme, then value, by code point."""
    return sorted(identifiers, key=lambda i: (i["scheme"], i["value"]))


_PRODUCTS = _of_certificates(products, products.c.position)
_HOLDER_IDS = _of_certificates(holder_ids, holder_ids.c.scheme, holder_ids.c.value, texts=True)
_EVENTS = _of_certificates(events, events.c.sequence)


@dataclass
class NewCertificate:
    row: dict[str, Any]
    products: list[dict[str, Any]]
    holder_ids: list[dict[str, Any]]


def existing_ids(connection: Connection, ids: Iterable[str]) -> dict[str, int]:
    """certificate id -> leaf index, for the ids already registered."""
    wanted = set(ids)
    if len(wanted) == 1:  # a single submission: a primary-key read on the driver's cursor (`db.raw`)
        row = _ONE_EXISTING.first(connection, id=next(iter(wanted)))
        return {} if row is None else {row["id"]: row["leaf_index"]}
    # A group's ids, on the driver's cursor too: through `Connection.execute` this read cost a group of 16
    # as much as its six inserts (BENCHMARKS.md).
    return dict(tuples_among(connection, _EXISTING, wanted))


def current_for_licences(connection: Connection, licences: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(programme, licence number) -> the id of its current (not superseded) certificate."""
    return {
        (row["programme_id"], row["licence_number"]): row["id"]
        for row in rows_by_licence(connection, _CURRENT, licences)
    }


def rows_by_licence(
    connection: Connection, statements: Mapping[str, Select[Any]], licences: Iterable[tuple[str, str]]
) -> Iterator[RowMapping]:
    """The rows of `statements` (one per dialect, filtered by `current_licence`) for these
    (programme, licence number) pairs: one programme per statement."""
    for programme, numbers in licences_by_programme(licences).items():
        yield from rows_among(connection, statements, numbers, programme=programme)


def licences_by_programme(licences: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """programme -> its licence numbers, sorted, from (programme, licence number) pairs (`current_licence`
    takes one programme per statement)."""
    by_programme: dict[str, list[str]] = defaultdict(list)
    for programme, licence in sorted(set(licences)):
        by_programme[programme].append(licence)
    return by_programme


def insert_certificates(connection: Connection, new: Sequence[NewCertificate]) -> None:
    insert_rows(connection, certificates, [item.row for item in new])
    insert_rows(connection, products, [p for item in new for p in item.products])
    insert_rows(connection, holder_ids, [h for item in new for h in item.holder_ids])


def mark_superseded(connection: Connection, old_id: str, new_id: str) -> None:
    connection.execute(update(certificates).where(certificates.c.id == old_id).values(superseded_by=new_id))


def get(connection: Connection, certificate_id: str) -> RowMapping | None:
    return connection.execute(_GET, {"id": certificate_id}).mappings().first()


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


def _grouped(
    connection: Connection, statements: dict[str, Select[Any]], ids: Sequence[str]
) -> dict[str, list[RowMapping]]:
    """Rows of a per-certificate table for many certificates, grouped by certificate id."""
    found: dict[str, list[RowMapping]] = defaultdict(list)
    for row in rows_among(connection, statements, ids):
        found[row["certificate_id"]].append(row)
    return found


def products_of(connection: Connection, ids: Sequence[str]) -> dict[str, list[RowMapping]]:
    return _grouped(connection, _PRODUCTS, ids)


def events_logged(connection: Connection, start: int, end: int, limit: int) -> list[RowMapping]:
    """Status events whose leaves lie in [start, end), in log order (what the webhook worker matches)."""
    query = (
        select(events)
        .where(events.c.leaf_index >= start, events.c.leaf_index < end)
        .order_by(events.c.leaf_index)
        .limit(limit)
    )
    return list(connection.execute(query).mappings())


def holder_ids_of(connection: Connection, ids: Sequence[str]) -> dict[str, list[RowMapping]]:
    return _grouped(connection, _HOLDER_IDS, ids)


def events_of(connection: Connection, ids: Sequence[str]) -> dict[str, list[RowMapping]]:
    return _grouped(connection, _EVENTS, ids)


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


# Thousands per catalogue check: read on the driver's cursor (`db.lists.tuples_among`).
_DOCUMENTS = {
    d: Prebuilt(select(entries.c.leaf_index, entries.c.document).where(one_of(entries.c.leaf_index, d)))
    for d in DIALECTS
}


def documents_at(connection: Connection, leaf_indexes: Iterable[int]) -> dict[int, bytes]:
    """leaf index -> the exact bytes logged there."""
    return {leaf_index: bytes(document) for leaf_index, document in tuples_among(connection, _DOCUMENTS, leaf_indexes)}
