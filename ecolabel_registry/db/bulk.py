"""Many rows into one table at once: `COPY` on PostgreSQL, `executemany` on the driver's cursor elsewhere.

psycopg runs an `executemany` INSERT as one statement per row (in pipeline mode); `COPY … FROM STDIN`
streams the rows into one command, which is several times faster for a batch of 1,000 certificates
(six tables' rows each), and for a group commit's 16 (`certificates.sequencer`: its inserts through
SQLAlchemy's INSERT cost the writer ~2.5 ms of CPU a group, BENCHMARKS.md). A single row keeps the
INSERT: one round trip, where a COPY takes two. A driver error in a COPY is raised as SQLAlchemy's
`DBAPIError` subclass, as an INSERT's is.

On SQLite the INSERT is compiled once per table and set of columns and run by the driver's
`executemany`, as `db.raw` runs its reads: SQLAlchemy's own executemany built a parameter dict per row
and ran it through its execution context, which cost as much as SQLite's work for the same rows. The
values pass through the same bind processors SQLAlchemy would apply (JSON columns), so the stored
bytes are the same; a driver error is raised as SQLAlchemy's `DBAPIError` subclass, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, Table, insert
from sqlalchemy.exc import DBAPIError

COPY_FROM_ROWS = 2


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
    names = list(rows[0])
    as_json = {name for name in names if isinstance(table.c[name].type, JSON)}
    quote = connection.dialect.identifier_preparer.quote
    command = f"COPY {quote(table.name)} ({', '.join(quote(name) for name in names)}) FROM STDIN"
    driver: Any = connection.connection.driver_connection  # psycopg.Connection, in this transaction
    try:
        with driver.cursor() as cursor, cursor.copy(command) as copy:
            for row in rows:
                copy.write_row([orjson.dumps(row[name]).decode() if name in as_json else row[name] for name in names])
    except connection.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(command, None, exc, connection.dialect.loaded_dbapi.Error) from exc


@dataclass(frozen=True)
class _Insert:
    sql: str
    names: tuple[str, ...]  # the row keys, in the statement's parameter order
    processors: tuple[Callable[[Any], Any] | None, ...]  # each column's bind processor, if it has one


_INSERTS: dict[tuple[str, Table, tuple[str, ...]], _Insert | None] = {}
_INSERTS_LOCK = threading.Lock()


def _executemany(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    names = tuple(rows[0])
    key = (connection.dialect.name, table, names)
    prepared = _INSERTS[key] if key in _INSERTS else _compile(connection, table, names)
    if prepared is None:  # a column default or another binding SQLAlchemy must fill in
        connection.execute(insert(table), list(rows))
        return
    # Column by column: each processor is mapped over its column, not called through a generator per row.
    columns: list[Sequence[Any]] = [[row[name] for row in rows] for name in prepared.names]
    for position, processor in enumerate(prepared.processors):
        if processor is not None:
            columns[position] = list(map(processor, columns[position]))
    parameters = list(zip(*columns, strict=True))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(prepared.sql, parameters)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(prepared.sql, parameters, exc, connection.dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()


def _compile(connection: Connection, table: Table, names: tuple[str, ...]) -> _Insert | None:
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=list(names))
    order = tuple(compiled.positiontup or ())
    prepared: _Insert | None = None
    if sorted(order) == sorted(names) and not compiled.insert_prefetch and not compiled.postfetch:
        processors = tuple(table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in order)
        prepared = _Insert(str(compiled), order, processors)
    with _INSERTS_LOCK:
        return _INSERTS.setdefault((dialect.name, table, names), prepared)
