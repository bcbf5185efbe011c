"""Compare the tables of a replica (a replay of the log) with the live ones, row by row, in key order.

Both sides are read in primary-key order, in batches, and merged: the first row that is missing, extra or
different is the divergence reported (only the columns that differ are shown). Strings are ordered by
code point on both backends (PostgreSQL's `COLLATE "C"`, SQLite's BINARY), so the merge sees one order.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
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


def _ordered(connection: Connection, table: Table) -> Generator[tuple[tuple[Any, ...], dict[str, Any]]]:
    keys = list(table.primary_key.columns)
    postgres = connection.dialect.name == "postgresql"
    order = [c.collate("C") if postgres and isinstance(c.type, String) else c for c in keys]
    result = connection.execution_options(yield_per=_BATCH).execute(select(table).order_by(*order))
    try:
        for row in result.mappings():
            values = {name: _plain(value) for name, value in row.items()}
            yield tuple(values[c.name] for c in keys), values
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


def _compare_table(
    table: Table,
    expected: Iterator[tuple[tuple[Any, ...], dict[str, Any]]],
    live: Iterator[tuple[tuple[Any, ...], dict[str, Any]]],
) -> Divergence | None:
    left, right = next(expected, None), next(live, None)
    while left is not None or right is not None:
        if left is None:
            if right is not None:
                return Divergence(table.name, _key(right[0]), "no row", right[1])
            break
        if right is None or left[0] < right[0]:
            return Divergence(table.name, _key(left[0]), left[1], "no row")
        if right[0] < left[0]:
            return Divergence(table.name, _key(right[0]), "no row", right[1])
        if left[1] != right[1]:
            columns = [name for name in left[1] if left[1][name] != right[1].get(name)]
            return Divergence(
                table.name,
                _key(left[0]),
                {name: left[1][name] for name in columns},
                {name: right[1].get(name) for name in columns},
            )
        left, right = next(expected, None), next(live, None)
    return None


def _key(values: tuple[Any, ...]) -> str:
    return "/".join(str(v) for v in values)
