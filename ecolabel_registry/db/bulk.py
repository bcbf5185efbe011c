"""Many rows into one table at once: `COPY` on PostgreSQL, `executemany` on the driver's cursor elsewhere.

psycopg runs an `executemany` INSERT as one statement per row (in pipeline mode); `COPY … FROM STDIN`
streams the rows into one command, which is several times faster for a batch of 1,000 certificates
(six tables' rows each), and for a group commit's 16 (`certificates.sequencer`: its inserts through
SQLAlchemy's INSERT cost the writer ~2.5 ms of CPU a group, BENCHMARKS.md). A single row keeps the
INSERT: one round trip, where a COPY takes two. A driver error in a COPY is raised as SQLAlchemy's
`DBAPIError` subclass, as an INSERT's is.

Inside `pipelined` (PostgreSQL pipeline mode, where libpq refuses COPY) the rows go in one multi-row
INSERT instead, queued with the block's other statements: the whole block then costs one round trip to
the server, not two per COPY and one per statement (a group commit's writes: 12 round trips -> 1). With
the server's `$n` placeholders such an INSERT costs the client less CPU than the COPY of the same rows
(1,000 log entries and 2,000 nodes: 7-17 ms against 22 ms, BENCHMARKS.md).

On SQLite the INSERT is compiled once per table and set of columns and run by the driver's
`executemany`, as `db.raw` runs its reads: SQLAlchemy's own executemany built a parameter dict per row
and ran it through its execution context, which cost as much as SQLite's work for the same rows. The
values pass through the same bind processors SQLAlchemy would apply (JSON columns), so the stored
bytes are the same; a driver error is raised as SQLAlchemy's `DBAPIError` subclass, as before.

The sqlite3 module binds an `int`, `float`, `str` or `bytearray` at once, and searches its adapters for
any other value first, in vain for these: ~3,300 instructions for each `None` and each `memoryview`
(what SQLAlchemy's processor makes of a BLOB), eight of a batched certificate's ~40 values. So a BLOB
is bound as a `bytearray` of the same bytes, and a column that is NULL in every row, and NULL when
left out (nullable, no default), is left out of the INSERT: SQLite stores the same NULL itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

from psycopg import RawCursor, pq
from sqlalchemy import JSON, Column, Connection, LargeBinary, Table, insert
from sqlalchemy.exc import DBAPIError

from ecolabel_registry.db.jsontext import json_text

COPY_FROM_ROWS = 2
# PostgreSQL's protocol numbers a statement's parameters with 16 bits.
_MAX_PARAMETERS = 65_535


# A batch's rows (1,000 credentials) cost more as multi-row INSERTs than as COPYs: 10 ms more of the
# writer's CPU and ~50 ms more wall under the lock (BENCHMARKS.md), where a group commit's (at most 256
# by default, `group_commit_max_items`) cost less. Two round trips a table are little beside a batch.
PIPELINED_UP_TO_ITEMS = 256


@contextmanager
def pipelined(connection: Connection, *, items: int) -> Iterator[None]:
    """Send the block's writes to PostgreSQL without waiting for each one's answer (psycopg pipeline mode).

    `items`: how many documents the block writes rows for; above `PIPELINED_UP_TO_ITEMS` the block runs
    as it would without this (each statement answered in turn, many rows as a COPY).

    For a block of statements whose results nobody reads (INSERT, UPDATE without RETURNING): they are
    sent as they are made and the answers are read once, when the block ends; that is when a failed
    statement raises (as SQLAlchemy's `DBAPIError`, as it would have alone), and the server skips every
    statement after it, so the caller's transaction must then roll back, as after any failed write. A
    statement whose result is read in the block would wait for the answers sent before it. Elsewhere
    (SQLite, or inside another such block) the statements run as they would without it.
    """
    driver: Any = connection.connection.driver_connection
    if (
        connection.dialect.name != "postgresql"
        or items > PIPELINED_UP_TO_ITEMS
        or driver.pgconn.pipeline_status != pq.PipelineStatus.OFF
    ):
        yield
        return
    with as_sqlalchemy_error(connection, "(pipelined statements)"), driver.pipeline():
        yield


@contextmanager
def as_sqlalchemy_error(connection: Connection, statement: str, parameters: Any = None) -> Iterator[None]:
    """A driver error raised in the block, as SQLAlchemy's `DBAPIError` subclass (as `execute` raises it)."""
    try:
        yield
    except connection.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(statement, parameters, exc, connection.dialect.loaded_dbapi.Error) from exc


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, in the caller's transaction."""
    if not rows:
        return
    if connection.dialect.name == "sqlite":
        _executemany(connection, table, rows)
        return
    if connection.dialect.name != "postgresql" or len(rows) < COPY_FROM_ROWS:
        connection.execute(insert(table), list(rows))
        return
    spec = _copy_spec(connection, table, tuple(rows[0]))
    driver: Any = connection.connection.driver_connection  # psycopg.Connection, in this transaction
    cells = spec.cells(rows)
    if driver.pgconn.pipeline_status != pq.PipelineStatus.OFF:
        _insert_values(connection, driver, spec.columns, cells)
        return
    command = f"COPY {spec.columns} FROM STDIN"
    with as_sqlalchemy_error(connection, command), driver.cursor() as cursor, cursor.copy(command) as copy:
        for row_cells in cells:
            copy.write_row(row_cells)


@dataclass(frozen=True)
class _CopySpec:
    """How rows with one table's set of keys go to PostgreSQL, worked out once (`_copy_spec`): made on
    every call, the quoted names, the JSON columns and each row's cells cost a group commit's writer
    ~30 µs a table, 6 % of its instructions (BENCHMARKS.md)."""

    columns: str  # `"table" ("a", "b")`, the names quoted as SQLAlchemy quotes them
    values: Callable[[Mapping[str, Any]], tuple[Any, ...]]  # a row's values, in the columns' order
    as_json: tuple[int, ...]  # the positions of JSON columns, written as orjson's text

    def cells(self, rows: Sequence[Mapping[str, Any]]) -> list[Sequence[Any]]:
        """Each row's values as the COPY writes them (JSON as text)."""
        if not self.as_json:
            return [self.values(row) for row in rows]
        cells: list[Sequence[Any]] = []
        for row in rows:
            values = list(self.values(row))
            for position in self.as_json:
                values[position] = json_text(values[position])
            cells.append(values)
        return cells


_COPY_SPECS: dict[tuple[Table, tuple[str, ...]], _CopySpec] = {}


def _copy_spec(connection: Connection, table: Table, names: tuple[str, ...]) -> _CopySpec:
    key = (table, names)
    spec = _COPY_SPECS.get(key)
    if spec is None:
        quote = connection.dialect.identifier_preparer.quote
        getter = itemgetter(*names)
        spec = _CopySpec(
            columns=f"{quote(table.name)} ({', '.join(quote(name) for name in names)})",
            values=getter if len(names) > 1 else lambda row: (getter(row),),
            as_json=tuple(i for i, name in enumerate(names) if isinstance(table.c[name].type, JSON)),
        )
        with _INSERTS_LOCK:
            spec = _COPY_SPECS.setdefault(key, spec)
    return spec


def _insert_values(connection: Connection, driver: Any, columns: str, rows: list[Sequence[Any]]) -> None:
    """`rows` (their values, as the COPY would write them) as multi-row INSERTs, queued in the pipeline.

    A `RawCursor` takes the server's own `$n` placeholders: psycopg's rewriting of `%s` ones, which it
    does not cache for a statement this long, cost more than the same rows' COPY (6 ms for 6,000 values)."""
    width = len(rows[0])
    per_statement = _MAX_PARAMETERS // width
    with RawCursor(driver) as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            command = _values_command(columns, width, len(chunk))
            with as_sqlalchemy_error(connection, command):
                cursor.execute(command, [value for row in chunk for value in row], prepare=False)


def _values_command(columns: str, width: int, count: int) -> str:
    """`INSERT INTO <columns> VALUES ($1, $2), ($3, $4), ...` for `count` rows of `width` values; a group
    commit's (up to 256 rows a table) are kept, at most a few kB each, a batch's are made each time."""
    return _kept_command(columns, width, count) if count <= _KEPT_UP_TO_ROWS else _command(columns, width, count)


def _command(columns: str, width: int, count: int) -> str:
    rows = (
        f"({', '.join(f'${n}' for n in range(first, first + width))})" for first in range(1, width * count + 1, width)
    )
    return f"INSERT INTO {columns} VALUES {', '.join(rows)}"  # noqa: S608  # quoted names; values are bound


_KEPT_UP_TO_ROWS = 256
_kept_command = lru_cache(maxsize=1024)(_command)


@dataclass(frozen=True)
class _Insert:
    sql: str
    names: tuple[str, ...]  # the row keys, in the statement's parameter order
    processors: tuple[Callable[[Any], Any] | None, ...]  # each column's bind processor, if it has one
    omissible: tuple[str, ...]  # the columns that are NULL when left out: nullable, without a default


_INSERTS: dict[tuple[str, Table, tuple[str, ...]], _Insert | None] = {}
_INSERTS_LOCK = threading.Lock()


def _executemany(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    prepared = _prepared(connection, table, tuple(rows[0]))
    if prepared is None:  # a column default or another binding SQLAlchemy must fill in
        connection.execute(insert(table), list(rows))
        return
    values = {name: [row[name] for row in rows] for name in prepared.names}
    null = tuple(
        name for name in prepared.omissible if values[name][0] is None and values[name].count(None) == len(rows)
    )
    if null:  # left out (module docstring): a statement without them, compiled once too
        prepared = _prepared(connection, table, tuple(name for name in prepared.names if name not in null))
        if prepared is None:
            connection.execute(insert(table), list(rows))
            return
    # Column by column: each processor is mapped over its column, not called through a generator per row.
    columns: list[Sequence[Any]] = [values[name] for name in prepared.names]
    for position, processor in enumerate(prepared.processors):
        if processor is not None:
            columns[position] = list(map(processor, columns[position]))
    parameters = list(zip(*columns, strict=True))
    on_driver_cursor(connection, prepared.sql, parameters, many=True)


def on_driver_cursor(connection: Connection, sql: str, values: Any, *, many: bool = False) -> None:
    """Run `sql` on a cursor of the driver's connection (`executemany` when `many`), a driver error
    raised as SQLAlchemy's."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with as_sqlalchemy_error(connection, sql, values):
            (cursor.executemany if many else cursor.execute)(sql, values)
    finally:
        cursor.close()


def _prepared(connection: Connection, table: Table, names: tuple[str, ...]) -> _Insert | None:
    key = (connection.dialect.name, table, names)
    return _INSERTS[key] if key in _INSERTS else _compile(connection, table, names)


def _compile(connection: Connection, table: Table, names: tuple[str, ...]) -> _Insert | None:
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=list(names))
    order = tuple(compiled.positiontup or ())
    prepared: _Insert | None = None
    if sorted(order) == sorted(names) and not compiled.insert_prefetch and not compiled.postfetch:
        processors = tuple(_processor(table.c[name], dialect) for name in order)
        omissible = tuple(name for name in order if _null_when_left_out(table.c[name]))
        prepared = _Insert(str(compiled), order, processors, omissible)
    with _INSERTS_LOCK:
        return _INSERTS.setdefault((dialect.name, table, names), prepared)


def _processor(column: Column[Any], dialect: Any) -> Callable[[Any], Any] | None:
    if isinstance(column.type, LargeBinary):
        return _blob  # the same bytes as SQLAlchemy's `memoryview`, bound without an adapter search
    processor: Callable[[Any], Any] | None = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor


def _blob(value: Any) -> bytearray | None:
    return None if value is None else bytearray(value)


def _null_when_left_out(column: Column[Any]) -> bool:
    return (
        column.nullable is True
        and not column.primary_key
        and column.default is None
        and column.server_default is None
        and column.onupdate is None
        and column.server_onupdate is None
    )


class PrebuiltWrite:
    """An INSERT or UPDATE without RETURNING, written once per dialect and run on the driver's cursor.

    For the few one-row writes every append makes (the log head's update, with its checkpoint on
    PostgreSQL): through `Connection.execute` each cost the writer ~85 µs of CPU on SQLite, several
    times SQLite's own work for the row (BENCHMARKS.md). As `insert_rows` on SQLite, the values pass
    through the bind processors SQLAlchemy would apply, so the stored bytes are the same, and a driver
    error is raised as SQLAlchemy's `DBAPIError` subclass. Run it only inside a transaction SQLAlchemy
    began (`Connection.begin`): on the cursor it begins none, and SQLAlchemy's statement events do not
    see it (the driver's own tracing does).
    """

    def __init__(self, statement: Any) -> None:
        self._statement = statement
        self._by_dialect: dict[str, _Write] = {}
        self._lock = threading.Lock()

    def run(self, connection: Connection, params: Mapping[str, Any]) -> None:
        dialect = connection.dialect
        write = self._by_dialect.get(dialect.name) or self._compile(connection)
        given = {**write.fixed, **params}
        processed = {name: process(given[name]) if process else given[name] for name, process in write.binds}
        values: Any = processed if write.positions is None else [processed[name] for name in write.positions]
        on_driver_cursor(connection, write.sql, values)

    def _compile(self, connection: Connection) -> _Write:
        dialect = connection.dialect
        compiled = self._statement.compile(dialect=dialect)
        fixed = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        binds = tuple(
            (name, bind.type.dialect_impl(dialect).bind_processor(dialect)) for name, bind in compiled.binds.items()
        )
        positions = tuple(compiled.positiontup) if compiled.positiontup is not None else None
        with self._lock:
            return self._by_dialect.setdefault(dialect.name, _Write(str(compiled), positions, binds, fixed))


@dataclass(frozen=True)
class _Write:
    sql: str
    positions: tuple[str, ...] | None  # parameter order for positional drivers (SQLite's qmark)
    binds: tuple[tuple[str, Callable[[Any], Any] | None], ...]  # each parameter and its bind processor
    fixed: Mapping[str, Any]  # values the statement itself binds (literals in it)
