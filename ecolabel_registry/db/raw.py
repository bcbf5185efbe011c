"""A prebuilt statement run on the driver's cursor, for the hottest one-row reads.

SQLAlchemy's execution path (execution context, result metadata, row objects) costs about three times
what the query itself costs on SQLite: a single verification's one-row join took 88 µs through
`Connection.execute` inside a transaction and 21 µs on the cursor (BENCHMARKS.md). `Prebuilt` keeps
SQLAlchemy for what it is good at here, writing the SQL for each dialect once, and runs it on the DBAPI
cursor of a SQLAlchemy `Connection`: the same connection and transaction state, nothing cached between
calls but the compiled text.

Two things differ from `Connection.execute`, and are why this is only for a few chosen reads:
- no type processing in `first` and `all`: every selected column must be one the driver returns as is
  (strings, integers, bytes); a column that needs a result processor (JSON on SQLite, say) is refused
  there. `dicts`, for bulk reads, applies each such column's processor itself, and only to that column;
- no implicit BEGIN: outside a transaction the statement runs on its own (SQLite's autocommit, or a
  connection with `isolation_level="AUTOCOMMIT"` on PostgreSQL), seeing one snapshot by itself;
- a driver error is the driver's own exception (`sqlite3.Error`, `psycopg.Error`), not wrapped in
  `sqlalchemy.exc.DBAPIError`; a connection it broke is found by the pool's pre-ping on PostgreSQL.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Connection, Dialect, Select, Text, cast

_MISSING = object()


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the selected columns' keys, in order
    positions: tuple[str, ...] | None  # parameter order for positional drivers (SQLite's qmark)
    fixed: Mapping[str, Any]  # values the statement itself binds (literals in the select)
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]  # columns the driver returns unprocessed
    refusal: str | None  # why `first` and `all` cannot read it (a column needs processing)
    # For positional drivers: the parameters in order with the statement's own values in place, and where
    # each of the caller's goes (index, name); the caller's are the required ones, and only those.
    template: tuple[Any, ...] = ()
    slots: tuple[tuple[int, str], ...] = ()
    binary: bool = False  # `first` reads in the driver's binary format (psycopg)

    def bound(self, params: Mapping[str, Any]) -> Any:
        """The driver's parameters for the caller's `params` (by name) and the statement's own values."""
        if self.positions is None:
            return {**self.fixed, **params}
        if not self.slots:
            return self.template
        values = list(self.template)
        for index, name in self.slots:
            values[index] = params[name]
        return values


@dataclass(frozen=True)
class DriverConnection:
    """A driver (DBAPI) connection outside any transaction, with its dialect: what `Prebuilt.first` runs
    a statement on when no SQLAlchemy `Connection` is needed around it (`db.engine.single_statements`)."""

    dialect: Dialect
    driver_connection: Any


class Prebuilt:
    def __init__(self, statement: Select[Any]) -> None:
        self._statement = statement
        self._by_dialect: dict[str, _Compiled] = {}
        self._json_as_text: _Compiled | None = None  # `dicts` on PostgreSQL (made with its `_compile`)
        self._lock = threading.Lock()

    def first(self, connection: Connection | DriverConnection, **params: Any) -> dict[str, Any] | None:
        """The first row as a dict of column key -> value, or None."""
        if isinstance(connection, DriverConnection):
            dialect, driver = connection.dialect, connection.driver_connection
        else:
            dialect, driver = connection.dialect, connection.connection.driver_connection
        compiled = self._unprocessed(dialect)
        # Binary on PostgreSQL, as `dicts`: the same values, and a `bytea` (a credential's ~2 kB) travels
        # as its bytes, not as hex text that the server writes and the driver decodes.
        cursor = driver.cursor(binary=True) if compiled.binary else driver.cursor()
        try:
            cursor.execute(compiled.sql, compiled.bound(params))
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else dict(zip(compiled.names, row, strict=True))

    def all(self, connection: Connection | DriverConnection, **params: Any) -> list[tuple[Any, ...]]:
        """Every row, as tuples in the select's column order (for short ranges read whole: a tile)."""
        return self._fetch(self._unprocessed(connection.dialect), connection, params)

    def tuples(self, connection: Connection | DriverConnection, **params: Any) -> list[tuple[Any, ...]]:
        """`all` for thousands of rows (a catalogue's credentials): on PostgreSQL in the binary format,
        as `dicts` reads them."""
        binary = connection.dialect.name == "postgresql"
        return self._fetch(self._unprocessed(connection.dialect), connection, params, binary=binary)

    def dicts(self, connection: Connection | DriverConnection, **params: Any) -> list[dict[str, Any]]:
        """Every row as a dict of column key -> value, as `Connection.execute(...).mappings()` gives them:
        the columns that need a result processor (JSON text on SQLite) go through it, the others are
        the driver's values as they are (for thousands of rows: a catalogue's certificates).

        On PostgreSQL the rows come in psycopg's binary format: the same Python values (bytes, int, str),
        without the hex text of `bytea`, which doubled the client's CPU for a catalogue's credentials
        (6,300 of them: 18-22 -> 8-9 ms; BENCHMARKS.md). Its JSON columns are read as their text
        (`json::text` is the stored text as it is) and loaded here by the JSON loader the engine gave
        psycopg, once per distinct text as on SQLite: psycopg's loader, called for every row, was ~1.9 µs
        a row, a third of a catalogue's certificate row (BENCHMARKS.md)."""
        binary = connection.dialect.name == "postgresql"
        compiled = self._for_dicts(connection.dialect)
        names = compiled.names
        rows = [dict(zip(names, row, strict=True)) for row in self._fetch(compiled, connection, params, binary=binary)]
        for name, process in compiled.processors:
            # A catalogue's rows repeat a handful of JSON texts (its certificates' markets): each distinct
            # value is processed once, and rows holding equal ones share the result (read, never changed).
            done: dict[Any, Any] = {}
            for row in rows:
                raw = row[name]
                value = done.get(raw, _MISSING)
                if value is _MISSING:
                    value = done[raw] = process(raw)
                row[name] = value
        return rows

    def _fetch(
        self,
        compiled: _Compiled,
        connection: Connection | DriverConnection,
        params: Mapping[str, Any],
        *,
        binary: bool = False,
    ) -> list[tuple[Any, ...]]:
        driver: Any = (
            connection.driver_connection
            if isinstance(connection, DriverConnection)
            else connection.connection.driver_connection
        )
        cursor = driver.cursor(binary=True) if binary else driver.cursor()
        try:
            cursor.execute(compiled.sql, compiled.bound(params))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _for_dicts(self, dialect: Dialect) -> _Compiled:
        if dialect.name != "postgresql":
            return self._by_dialect.get(dialect.name) or self._compile(dialect)
        if self._json_as_text is None:
            self._compile(dialect)
        assert self._json_as_text is not None  # set by `_compile` for PostgreSQL
        return self._json_as_text

    def _unprocessed(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name) or self._compile(dialect)
        if compiled.refusal is not None:
            raise TypeError(compiled.refusal)
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        processors: list[tuple[str, Callable[[Any], Any]]] = []
        refusal = None
        for key, column in self._statement.selected_columns.items():
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                processors.append((key, process))
                refusal = (
                    refusal or f"column {column.key!r} ({column.type}) needs type processing: use Connection.execute"
                )
        built = _compiled(self._statement, dialect, tuple(processors), refusal)
        if dialect.name == "postgresql":
            as_text = _json_as_text(self._statement, dialect)
            with self._lock:
                self._json_as_text = self._json_as_text or as_text
        with self._lock:
            return self._by_dialect.setdefault(dialect.name, built)


def _compiled(
    statement: Select[Any],
    dialect: Dialect,
    processors: tuple[tuple[str, Callable[[Any], Any]], ...],
    refusal: str | None,
) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    positions = tuple(compiled.positiontup) if compiled.positiontup is not None else None
    fixed = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
    names = tuple(statement.selected_columns.keys())
    template: tuple[Any, ...] = ()
    slots: tuple[tuple[int, str], ...] = ()
    if positions is not None:
        template = tuple(fixed.get(name) for name in positions)
        slots = tuple((index, name) for index, name in enumerate(positions) if name not in fixed)
    binary = dialect.name == "postgresql"
    return _Compiled(str(compiled), names, positions, fixed, processors, refusal, template, slots, binary)


def _json_as_text(statement: Select[Any], dialect: Dialect) -> _Compiled:
    """The statement with each JSON column selected as its text under the same key, and the loader
    psycopg would have used for it (the engine's `json_deserializer`, else `json.loads`) as its processor."""
    load = getattr(dialect, "_json_deserializer", None) or json.loads
    columns: list[Any] = []
    processors: list[tuple[str, Callable[[Any], Any]]] = []
    for key, column in statement.selected_columns.items():
        if isinstance(column.type, JSON):
            columns.append(cast(column, Text).label(key))
            processors.append((key, load))
        else:
            columns.append(column)
    return _compiled(statement.with_only_columns(*columns), dialect, tuple(processors), None)
