"""`column IN (many values)` on both backends: batches of bound values on SQLite, one array on PostgreSQL.

SQLite has no arrays and a bound-parameter limit, so lists built per call (`among`) go in batches of
`IN_BATCH`. PostgreSQL takes the whole list as one array parameter, `column = ANY(:array)`: one round
trip, and a small statement to plan, whatever the list's length (measured: breadth-first search over
700-organisation chains 59 -> 35 ms; a 10,000-line catalogue's lookups 213 -> 102 ms; BENCHMARKS.md).
Prebuilt statements (`one_of`) do the same on SQLite with one JSON array parameter unpacked by
`json_each`: an expanding `IN` list is rendered again for every execution (SQLAlchemy's "post-compile"
step, a bind name per value), which cost more than the lookups themselves (BENCHMARKS.md).
`dicts_among` runs such statements on the driver's cursor (`db.raw.Prebuilt`), for the reads of a
whole catalogue, where SQLAlchemy's row objects cost more than the rows' own reading.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import psycopg
from psycopg.types.array import ListBinaryDumper
from sqlalchemy import ColumnElement, Connection, RowMapping, Select, String, any_, bindparam, func, literal, select
from sqlalchemy import column as named_column
from sqlalchemy.dialects.postgresql import ARRAY

from ecolabel_registry.db.jsontext import json_text
from ecolabel_registry.db.raw import Prebuilt

IN_BATCH = 400  # keeps every IN list under SQLite's bound-parameter limit
DIALECTS = ("sqlite", "postgresql")


class BinaryArray(list[Any]):
    """A batch of values bound as one PostgreSQL array in psycopg's binary format. A plain list is sent as
    array text, each element searched by a regular expression for characters to quote: 6.0 ms for a
    catalogue's 3,333 certificate ids against 0.6 in binary, the same array on the server (BENCHMARKS.md).
    The statements cast the parameter to the column's array type (`one_of`), so the element type psycopg
    names for it (text, int2/4/8) is converted there as the text was."""


# psycopg picks the last dumper registered for a class when a statement says `%s`; this class is ours.
psycopg.adapters.register_dumper(BinaryArray, ListBinaryDumper)


def batches(connection: Connection, values: Iterable[Any]) -> Iterable[list[Any]]:
    """The distinct values in sorted batches: one batch on PostgreSQL, IN_BATCH elsewhere."""
    ordered = sorted(set(values))
    size = max(len(ordered), 1) if connection.dialect.name == "postgresql" else IN_BATCH
    for i in range(0, len(ordered), size):
        yield ordered[i : i + size]


def among(connection: Connection, column: Any, values: list[Any]) -> Any:
    """`column` is one of `values` (a batch from `batches`), for a statement built per call."""
    if connection.dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(_unbounded(column.type))))
    return column.in_(values)


def one_of(column: ColumnElement[Any], dialect: str, name: str = "values") -> ColumnElement[bool]:
    """`column` is one of the bound parameter `name` (a batch from `batches`), for a statement built
    once per dialect (see `DIALECTS`): SQLAlchemy then reuses its compiled form."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(_unbounded(column.type))))
    # SQLite: `column IN (SELECT value FROM json_each(:name))`, the values bound as one JSON array text
    # (`rows_among` encodes it); SQLite probes the column's index once per value, as for a literal list.
    values: Select[Any] = select(named_column("value")).select_from(func.json_each(bindparam(name, type_=String())))
    return column.in_(values.scalar_subquery())


def rows_among(
    connection: Connection, statements: Mapping[str, Select[Any]], values: Iterable[Any], **fixed: Any
) -> Iterator[RowMapping]:
    """The rows of `statements` (one per dialect, built with `one_of`) over `values`, batch by batch;
    `fixed` binds the statement's other parameters. Each batch's rows are fetched at once (row by row,
    psycopg was asked once per row: 11% of a catalogue check, BENCHMARKS.md)."""
    statement = statements[connection.dialect.name]
    if connection.dialect.name == "postgresql":
        for batch in batches(connection, values):
            yield from connection.execute(statement, {**fixed, "values": batch}).mappings().all()
        return
    distinct = sorted(set(values))
    if distinct:
        yield from connection.execute(statement, {**fixed, "values": json_text(distinct)}).mappings().all()


def dicts_among(
    connection: Connection, statements: Mapping[str, Prebuilt], values: Iterable[Any], **fixed: Any
) -> Iterator[dict[str, Any]]:
    """`rows_among` on the driver's cursor: the same rows, as plain dicts (`Prebuilt.dicts`)."""
    return _among(connection, statements, values, fixed, Prebuilt.dicts)


def tuples_among(
    connection: Connection, statements: Mapping[str, Prebuilt], values: Iterable[Any], **fixed: Any
) -> Iterator[tuple[Any, ...]]:
    """`dicts_among` as tuples in the select's column order (`Prebuilt.tuples`), for columns the driver
    returns as they are: no dict per row."""
    return _among(connection, statements, values, fixed, Prebuilt.tuples)


def _among(
    connection: Connection,
    statements: Mapping[str, Prebuilt],
    values: Iterable[Any],
    fixed: Mapping[str, Any],
    read: Callable[..., list[Any]],
) -> Iterator[Any]:
    """`read` (a `Prebuilt` method) of this dialect's statement over `values`: in batches of bound
    parameters on PostgreSQL, as one JSON array of the distinct values on SQLite."""
    statement = statements[connection.dialect.name]
    if connection.dialect.name == "postgresql":
        for batch in batches(connection, values):
            yield from read(statement, connection, **fixed, values=BinaryArray(batch))
        return
    distinct = sorted(set(values))
    if distinct:
        yield from read(statement, connection, **fixed, values=json_text(distinct))


def _unbounded(kind: Any) -> Any:
    # The array is cast to its element type; an explicit cast to VARCHAR(n) truncates, so a value longer
    # than the column could match a stored prefix. Values are compared as unbounded text instead.
    return String() if isinstance(kind, String) else kind
