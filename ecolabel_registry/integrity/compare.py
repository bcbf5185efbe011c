"""Compare the tables of a replica (a replay of the log) with the live ones, row by row, in key order.

Both sides are read in primary-key order, in batches, and merged: the first row that is missing, extra or
different is the divergence reported (only the columns that differ are shown). Strings are ordered by
code point on both backends (PostgreSQL's `COLLATE "C"`, SQLite's BINARY), so the merge sees one order.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from typing import Any

from sqlalchemy import Connection, String, Table, select
from sqlmodel import SQLModel

import ecolabel_registry.db.models  # noqa: F401  (registers every table in SQLModel.metadata)
from ecolabel_registry.integrity.divergence import Divergence

# Every table that a replay of the log writes, log first: the order in which a divergence is looked for.
COMPARED = (
    "log_state",
    "log_entries",
    "log_nodes",
    "programmes",
    "programme_keys",
    "key_events",
    "proposed_events",
    "proposal_approvals",
    "categories",
    "category_codes",
    "certificates",
    "certificate_products",
    "certificate_holder_ids",
    "certificate_events",
    "status_list_entries",
    "agreements",
    "agreement_parties",
    "agreement_events",
    "status_map_state",
    "status_map_nodes",
)
_BATCH = 5_000


def tables() -> list[Table]:
    return [SQLModel.metadata.tables[name] for name in COMPARED]


def _ordered(connection: Connection, table: Table) -> Generator[Sequence[Any]]:
    """The table's rows, as the driver gives them after SQLAlchemy's type processing, in key order."""
    keys = list(table.primary_key.columns)
    postgres = connection.dialect.name == "postgresql"
    order = [c.collate("C") if postgres and isinstance(c.type, String) else c for c in keys]
    result = connection.execution_options(yield_per=_BATCH).execute(select(table).order_by(*order))
    try:
        yield from result
    finally:
        result.close()  # a server-side cursor on PostgreSQL: closed even when the merge stops early


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def first_difference(expected: Connection, live: Connection) -> Divergence | None:
    """The first row where `live` differs from `expected` (the replica), or None when every table agrees."""
    for table in tables():
        with closing(_ordered(expected, table)) as wanted, closing(_ordered(live, table)) as stored:
            found = _compare_table(table, wanted, stored)
        if found is not None:
            return found
    return None


def _compare_table(table: Table, expected: Iterator[Sequence[Any]], live: Iterator[Sequence[Any]]) -> Divergence | None:
    """The first difference of two merges in key order. Equal rows, nearly all of them, are passed over with
    one comparison of the whole row (the same column order on both sides, as `select(table)` gives it);
    the key and the columns by name are made only for a row that differs."""
    names = [column.name for column in table.columns]
    positions = [names.index(column.name) for column in table.primary_key.columns]
    left, right = next(expected, None), next(live, None)
    while left is not None or right is not None:
        if left is not None and right is not None and tuple(left) == tuple(right):
            left, right = next(expected, None), next(live, None)
            continue
        if left is None:
            if right is not None:
                return Divergence(table.name, _key(_at(right, positions)), "no row", _named(names, right))
            break
        left_key = _at(left, positions)
        if right is None or left_key < (right_key := _at(right, positions)):
            return Divergence(table.name, _key(left_key), _named(names, left), "no row")
        if right_key < left_key:
            return Divergence(table.name, _key(right_key), "no row", _named(names, right))
        wanted, stored = _named(names, left), _named(names, right)
        columns = [name for name in wanted if wanted[name] != stored.get(name)]
        return Divergence(
            table.name,
            _key(left_key),
            {name: wanted[name] for name in columns},
            {name: stored.get(name) for name in columns},
        )
    return None


def _at(row: Sequence[Any], positions: list[int]) -> tuple[Any, ...]:
    return tuple(_plain(row[i]) for i in positions)


def _named(names: list[str], row: Sequence[Any]) -> dict[str, Any]:
    return {name: _plain(value) for name, value in zip(names, row, strict=True)}


def _key(values: tuple[Any, ...]) -> str:
    return "/".join(str(v) for v in values)
