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
)

state = StatisticsState.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
daily = StatisticsDaily.__table__  # type: ignore[attr-defined]
monthly = StatisticsMonthly.__table__  # type: ignore[attr-defined]
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
    horizon_month: int


def read_state(connection: Connection) -> State:
    row = connection.execute(_READ_STATE).mappings().one()
    return State(row["tree_size"], bytes(row["root_hash"]), row["integrated_us"], row["horizon_month"])


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


def set_horizon(connection: Connection, month: int) -> None:
    connection.execute(update(state).where(state.c.id == 1).values(horizon_month=month))


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


def add_daily(connection: Connection, changes: Mapping[tuple[str, str, str, int], int]) -> None:
    """Add each change to its day's net change (an upsert on both backends)."""
    rows = [{"dimension": d, "value": v, "status": s, "day": day, "delta": n} for (d, v, s, day), n in changes.items()]
    if not rows:
        return
    dialect: Any = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(daily)
    statement = statement.on_conflict_do_update(
        index_elements=["dimension", "value", "status", "day"],
        set_={"delta": daily.c.delta + statement.excluded.delta},
    )
    for low in range(0, len(rows), 5000):
        connection.execute(statement, rows[low : low + 5000])


def extend_horizon(connection: Connection, old: int, new: int) -> None:
    """Carry every key's last total forward into the months (old, new]: the monthly rows stay dense."""
    if new <= old:
        return
    for month in range(old + 1, new + 1):
        carried = select(monthly.c.dimension, monthly.c.value, monthly.c.status, literal(month), monthly.c.total).where(
            monthly.c.month == old
        )
        connection.execute(insert(monthly).from_select(["dimension", "value", "status", "month", "total"], carried))


def monthly_of(connection: Connection, pairs: Iterable[tuple[str, str]]) -> dict[Key, dict[int, int]]:
    """The monthly totals under each (dimension, value) of `pairs`, every status, by key and month."""
    by_dimension: dict[str, set[str]] = defaultdict(set)
    for dimension, value in pairs:
        by_dimension[dimension].add(value)
    found: dict[Key, dict[int, int]] = defaultdict(dict)
    for dimension, values in by_dimension.items():
        for batch in batches(connection, values):
            query = select(monthly).where(monthly.c.dimension == dimension, among(connection, monthly.c.value, batch))
            for row in connection.execute(query).mappings():
                found[(row["dimension"], row["value"], row["status"])][row["month"]] = row["total"]
    return found


def replace_monthly(
    connection: Connection, pairs: Iterable[tuple[str, str]], rows_by_key: Mapping[Key, Mapping[int, int]]
) -> None:
    """Every monthly row under `pairs` (every status) becomes `rows_by_key`."""
    by_dimension: dict[str, set[str]] = defaultdict(set)
    for dimension, value in pairs:
        by_dimension[dimension].add(value)
    for dimension, values in by_dimension.items():
        for batch in batches(connection, values):
            connection.execute(
                delete(monthly).where(
                    monthly.c.dimension == dimension,
                    among(connection, monthly.c.value, batch),
                )
            )
    rows = [
        {"dimension": d, "value": v, "status": s, "month": month, "total": total}
        for (d, v, s), months in rows_by_key.items()
        for month, total in months.items()
    ]
    for low in range(0, len(rows), 20000):
        insert_rows(connection, monthly, rows[low : low + 20000])


def totals_at(connection: Connection, dimension: str, month: int) -> list[RowMapping]:
    query = select(monthly.c.value, monthly.c.status, monthly.c.total).where(
        monthly.c.dimension == dimension, monthly.c.month == month, monthly.c.total != 0
    )
    return list(connection.execute(query).mappings())


def changes_between(connection: Connection, dimension: str, first_day: int, last_day: int) -> list[RowMapping]:
    query = (
        select(daily.c.value, daily.c.status, func.sum(daily.c.delta).label("delta"))
        .where(and_(daily.c.dimension == dimension, daily.c.day >= first_day, daily.c.day <= last_day))
        .group_by(daily.c.value, daily.c.status)
    )
    return list(connection.execute(query).mappings())


def totals_between(connection: Connection, dimension: str, first: int, last: int) -> list[RowMapping]:
    query = select(monthly.c.value, monthly.c.status, monthly.c.month, monthly.c.total).where(
        monthly.c.dimension == dimension, monthly.c.month >= first, monthly.c.month <= last, monthly.c.total != 0
    )
    return list(connection.execute(query).mappings())
