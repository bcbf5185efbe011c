"""Every statistics query, in SQLAlchemy Core: the state row, the change tables, and the reads behind them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, delete, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ecolabel_registry.db.bulk import insert_rows
from ecolabel_registry.db.lists import among, batches
from ecolabel_registry.db.models import (
    Certificate,
    CertificateEvent,
    StatisticsDaily,
    StatisticsMonthly,
    StatisticsState,
    StatisticsYearly,
)

state = StatisticsState.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
daily = StatisticsDaily.__table__  # type: ignore[attr-defined]
monthly = StatisticsMonthly.__table__  # type: ignore[attr-defined]
yearly = StatisticsYearly.__table__  # type: ignore[attr-defined]
certificates = Certificate.__table__  # type: ignore[attr-defined]
events = CertificateEvent.__table__  # type: ignore[attr-defined]

Key = tuple[str, str, str]
_CERTIFICATE_COLUMNS = (
    certificates.c.id,
    certificates.c.programme_id,
    certificates.c.category_code,
    certificates.c.criteria_version,
    certificates.c.holder_country,
    certificates.c.valid_from_us,
    certificates.c.valid_until_us,
    certificates.c.leaf_index,
)
_READ_STATE = select(state).where(state.c.id == 1)


@dataclass(frozen=True)
class State:
    tree_size: int
    root_hash: bytes
    integrated_us: int
    horizon_year: int


def read_state(connection: Connection) -> State:
    row = connection.execute(_READ_STATE).mappings().one()
    return State(row["tree_size"], bytes(row["root_hash"]), row["integrated_us"], row["horizon_year"])


def claim(connection: Connection, seen: State, tree_size: int, root_hash: bytes, integrated_us: int) -> bool:
    """Move the state from `seen` to the new checkpoint; False when another process moved it first.

    The compare-and-set is the refresh's first write: on PostgreSQL its row lock makes a second
    refresher wait and then find the size changed; on SQLite the write transaction excludes it already.
    """
    moved = connection.execute(
        update(state)
        .where(state.c.id == 1, state.c.tree_size == seen.tree_size)
        .values(tree_size=tree_size, root_hash=root_hash, integrated_us=integrated_us)
    )
    return moved.rowcount == 1


def set_horizon(connection: Connection, year: int) -> None:
    connection.execute(update(state).where(state.c.id == 1).values(horizon_year=year))


def certificates_logged(connection: Connection, start: int, end: int, page: int) -> Iterator[list[RowMapping]]:
    """Certificates whose leaf is in [start, end), a page of leaves at a time."""
    for low in range(start, end, page):
        query = (
            select(*_CERTIFICATE_COLUMNS)
            .where(certificates.c.leaf_index >= low, certificates.c.leaf_index < min(low + page, end))
            .order_by(certificates.c.leaf_index)
        )
        yield list(connection.execute(query).mappings())


def certificates_changed(connection: Connection, start: int, end: int) -> list[RowMapping]:
    """Certificates logged before `start` that gained a status event in [start, end)."""
    touched = (
        select(events.c.certificate_id).where(events.c.leaf_index >= start, events.c.leaf_index < end).distinct()
    ).scalar_subquery()
    query = select(*_CERTIFICATE_COLUMNS).where(certificates.c.id.in_(touched), certificates.c.leaf_index < start)
    return list(connection.execute(query).mappings())


def events_before(connection: Connection, ids: Iterable[str], end: int) -> dict[str, list[RowMapping]]:
    """Each certificate's status events logged before leaf `end`, in chain order."""
    found: dict[str, list[RowMapping]] = defaultdict(list)
    for batch in batches(connection, ids):
        query = (
            select(events)
            .where(among(connection, events.c.certificate_id, batch), events.c.leaf_index < end)
            .order_by(events.c.certificate_id, events.c.sequence)
        )
        for row in connection.execute(query).mappings():
            found[row["certificate_id"]].append(row)
    return found


def add_changes(
    connection: Connection, table: Any, column: str, changes: Mapping[tuple[str, str, str, int], int]
) -> None:
    """Add each change to its period's net change in `table` (daily or monthly; an upsert on both backends)."""
    rows = [{"dimension": d, "value": v, "status": s, column: t, "delta": n} for (d, v, s, t), n in changes.items()]
    if not rows:
        return
    dialect: Any = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["dimension", "value", "status", column],
        set_={"delta": table.c.delta + statement.excluded.delta},
    )
    for low in range(0, len(rows), 5000):
        connection.execute(statement, rows[low : low + 5000])


def extend_horizon(connection: Connection, old: int, new: int) -> None:
    """Carry every key's last total forward into the years (old, new]: the yearly rows stay dense."""
    if new <= old or connection.execute(select(yearly.c.year).limit(1)).first() is None:
        return
    for year in range(old + 1, new + 1):
        carried = select(yearly.c.dimension, yearly.c.value, yearly.c.status, literal(year), yearly.c.total).where(
            yearly.c.year == old
        )
        connection.execute(insert(yearly).from_select(["dimension", "value", "status", "year", "total"], carried))


def yearly_of(connection: Connection, pairs: Iterable[tuple[str, str]]) -> dict[Key, dict[int, int]]:
    """The yearly totals under each (dimension, value) of `pairs`, every status, by key and year."""
    found: dict[Key, dict[int, int]] = defaultdict(dict)
    for dimension, values in _by_dimension(pairs).items():
        for batch in batches(connection, values):
            query = select(yearly).where(yearly.c.dimension == dimension, among(connection, yearly.c.value, batch))
            for row in connection.execute(query).mappings():
                found[(row["dimension"], row["value"], row["status"])][row["year"]] = row["total"]
    return found


def replace_yearly(
    connection: Connection, pairs: Iterable[tuple[str, str]], rows_by_key: Mapping[Key, Mapping[int, int]]
) -> None:
    """Every yearly row under `pairs` (every status) becomes `rows_by_key`."""
    for dimension, values in _by_dimension(pairs).items():
        for batch in batches(connection, values):
            connection.execute(
                delete(yearly).where(yearly.c.dimension == dimension, among(connection, yearly.c.value, batch))
            )
    rows = [
        {"dimension": d, "value": v, "status": s, "year": year, "total": total}
        for (d, v, s), years in rows_by_key.items()
        for year, total in years.items()
    ]
    for low in range(0, len(rows), 20000):
        insert_rows(connection, yearly, rows[low : low + 20000])


def _by_dimension(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for dimension, value in pairs:
        found[dimension].add(value)
    return found


def totals_at(connection: Connection, dimension: str, year: int) -> list[RowMapping]:
    """The counts under each key of `dimension` at the end of `year` (at most the horizon)."""
    query = select(yearly.c.value, yearly.c.status, yearly.c.total).where(
        yearly.c.dimension == dimension, yearly.c.year == year, yearly.c.total != 0
    )
    return list(connection.execute(query).mappings())


def changes_between(
    connection: Connection, table: Any, column: str, dimension: str, *, first: int, last: int
) -> list[RowMapping]:
    """The net change under each key of `dimension` over periods [first, last] of `table` (days or months)."""
    period = table.c[column]
    query = (
        select(table.c.value, table.c.status, func.sum(table.c.delta).label("delta"))
        .where(and_(table.c.dimension == dimension, period >= first, period <= last))
        .group_by(table.c.value, table.c.status)
    )
    return list(connection.execute(query).mappings())


def monthly_changes(connection: Connection, dimension: str, first: int, last: int) -> list[RowMapping]:
    """Each key's net change per month, months [first, last]."""
    query = select(monthly.c.value, monthly.c.status, monthly.c.month, monthly.c.delta).where(
        monthly.c.dimension == dimension, monthly.c.month >= first, monthly.c.month <= last, monthly.c.delta != 0
    )
    return list(connection.execute(query).mappings())
