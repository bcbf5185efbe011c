"""Queries for supply links and their events, in Core."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from ecolabel_registry.db.lists import among, batches
from ecolabel_registry.db.models import SupplyLink, SupplyLinkEvent

links = SupplyLink.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
events = SupplyLinkEvent.__table__  # type: ignore[attr-defined]


def insert_link(connection: Connection, row: dict[str, Any]) -> None:
    connection.execute(insert(links), [row])


def link(connection: Connection, link_id: str) -> RowMapping | None:
    return connection.execute(select(links).where(links.c.id == link_id)).mappings().first()


def overlapping(connection: Connection, row: dict[str, Any]) -> str | None:
    """A link with the same parties, facility and product or material whose period overlaps this one's.

    Periods are half-open [valid_from, valid_to): [a, b) and [c, d) overlap when a < d and c < b.
    """
    query = select(links.c.id).where(
        links.c.buyer_id == row["buyer_id"],
        links.c.supplier_id == row["supplier_id"],
        _same(links.c.supplier_facility_id, row["supplier_facility_id"]),
        _same(links.c.gtin, row["gtin"]),
        _same(links.c.material, row["material"]),
        (links.c.valid_to_us.is_(None)) | (links.c.valid_to_us > row["valid_from_us"]),
    )
    if row["valid_to_us"] is not None:
        query = query.where(links.c.valid_from_us < row["valid_to_us"])
    return connection.execute(query.limit(1)).scalar_one_or_none()


def _same(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


def page(
    connection: Connection, organisation_id: str, *, role: str, state: str | None, after: str | None, limit: int
) -> list[RowMapping]:
    """Links where the organisation is the buyer (role "buyer") or the supplier, ordered by id."""
    column = links.c.buyer_id if role == "buyer" else links.c.supplier_id
    query = select(links).where(column == organisation_id).order_by(links.c.id).limit(limit)
    if state is not None:
        query = query.where(links.c.state == state)
    if after is not None:
        query = query.where(links.c.id > after)
    return list(connection.execute(query).mappings())


def events_of(connection: Connection, link_ids: Sequence[str]) -> dict[str, list[RowMapping]]:
    found: dict[str, list[RowMapping]] = defaultdict(list)
    for batch in batches(connection, link_ids):
        rows = connection.execute(
            select(events)
            .where(among(connection, events.c.link_id, batch))
            .order_by(events.c.link_id, events.c.sequence)
        ).mappings()
        for row in rows:
            found[row["link_id"]].append(row)
    return found


def events_between(connection: Connection, link_ids: Sequence[str], start_us: int, end_us: int) -> list[RowMapping]:
    """Confirmations and disputes of these links that happened in [start, end)."""
    found: list[RowMapping] = []
    for batch in batches(connection, link_ids):
        rows = connection.execute(
            select(events).where(
                among(connection, events.c.link_id, batch),
                events.c.occurred_us >= start_us,
                events.c.occurred_us < end_us,
            )
        ).mappings()
        found.extend(rows)
    return sorted(found, key=lambda row: (row["occurred_us"], row["link_id"], row["sequence"]))


def append_event(
    connection: Connection, row: dict[str, Any], *, expected_count: int, state: str, reason: str | None
) -> bool:
    """Record an event and move the link's chain head; False if the head moved meanwhile."""
    moved = connection.execute(
        update(links)
        .where(links.c.id == row["link_id"], links.c.event_count == expected_count)
        .values(event_count=expected_count + 1, last_document_sha256=row["sha256"], state=state, state_reason=reason)
    )
    if moved.rowcount != 1:
        return False
    connection.execute(insert(events), [row])
    return True
