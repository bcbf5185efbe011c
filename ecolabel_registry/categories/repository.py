"""Every category query, in SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, insert, select, tuple_

from ecolabel_registry.db.models import Category, CategoryCode, LogEntry
from ecolabel_registry.db.raw import Prebuilt

categories_table = Category.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
codes_table = CategoryCode.__table__  # type: ignore[attr-defined]
entries_table = LogEntry.__table__  # type: ignore[attr-defined]

CategoryKey = tuple[str, str, str]  # programme_id, code, criteria_version
# Built once and run on the driver's cursor (`db.raw`): the tuple IN built per call cost more than the
# primary-key read it asks for.
_ONE = Prebuilt(
    select(categories_table.c.programme_id).where(
        categories_table.c.programme_id == bindparam("programme_id"),
        categories_table.c.code == bindparam("code"),
        categories_table.c.criteria_version == bindparam("criteria_version"),
    )
)


def find(connection: Connection, key: CategoryKey) -> RowMapping | None:
    return connection.execute(_select().where(_key_matches([key]))).mappings().first()


def existing(connection: Connection, keys: Iterable[CategoryKey]) -> set[CategoryKey]:
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    if len(wanted) == 1:  # a batch or a group commit nearly always names one category: a prebuilt read
        programme_id, code, criteria_version = wanted[0]
        found = _ONE.first(connection, programme_id=programme_id, code=code, criteria_version=criteria_version)
        return set(wanted) if found is not None else set()
    rows = connection.execute(
        select(categories_table.c.programme_id, categories_table.c.code, categories_table.c.criteria_version).where(
            _key_matches(wanted)
        )
    )
    return {(row.programme_id, row.code, row.criteria_version) for row in rows}


def defined_codes(connection: Connection, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (programme_id, code) pairs name a category the programme has defined (in any criteria version)."""
    wanted = sorted(set(pairs))
    if not wanted:
        return set()
    key = tuple_(categories_table.c.programme_id, categories_table.c.code)
    rows = connection.execute(
        select(categories_table.c.programme_id, categories_table.c.code).where(key.in_(wanted)).distinct()
    )
    return {(row.programme_id, row.code) for row in rows}


def of_programme(connection: Connection, programme_id: str) -> list[RowMapping]:
    query = (
        _select()
        .where(categories_table.c.programme_id == programme_id)
        .order_by(categories_table.c.code, categories_table.c.valid_from_us)
    )
    return list(connection.execute(query).mappings())


def codes_of(connection: Connection, keys: Sequence[CategoryKey]) -> dict[CategoryKey, dict[str, list[str]]]:
    found: dict[CategoryKey, dict[str, list[str]]] = {key: {"cpv": [], "cn_procurement": [], "hs": []} for key in keys}
    if not keys:
        return found
    rows = connection.execute(
        select(codes_table)
        .where(tuple_(codes_table.c.programme_id, codes_table.c.code, codes_table.c.criteria_version).in_(list(keys)))
        .order_by(codes_table.c.scheme, codes_table.c.value)
    ).mappings()
    for row in rows:
        found[(row["programme_id"], row["code"], row["criteria_version"])][row["scheme"]].append(row["value"])
    return found


def insert_category(connection: Connection, values: dict[str, Any], codes: list[dict[str, str]]) -> None:
    connection.execute(insert(categories_table), [values])
    if codes:
        connection.execute(insert(codes_table), codes)


def _select() -> Any:
    return select(categories_table, entries_table.c.document).join(
        entries_table, entries_table.c.leaf_index == categories_table.c.leaf_index
    )


def _key_matches(keys: Sequence[CategoryKey]) -> Any:
    return tuple_(categories_table.c.programme_id, categories_table.c.code, categories_table.c.criteria_version).in_(
        list(keys)
    )
