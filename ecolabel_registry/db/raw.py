"""A prebuilt statement run on the driver's cursor, for the hottest one-row reads.

SQLAlchemy's execution path (execution context, result metadata, row objects) costs about three times
what the query itself costs on SQLite: a single verification's one-row join took 88 µs through
`Connection.execute` inside a transaction and 21 µs on the cursor (BENCHMARKS.md). `Prebuilt` keeps
SQLAlchemy for what it is good at here, writing the SQL for each dialect once, and runs it on the DBAPI
cursor of a SQLAlchemy `Connection`: the same connection and transaction state, nothing cached between
calls but the compiled text.

Two things differ from `Connection.execute`, and are why this is only for a few chosen reads:
- no type processing: every selected column must be one the driver returns as is (strings, integers,
  bytes); a column that needs a result processor (JSON on SQLite, say) is refused when first compiled;
- no implicit BEGIN: outside a transaction the statement runs on its own (SQLite's autocommit, or a
  connection with `isolation_level="AUTOCOMMIT"` on PostgreSQL), seeing one snapshot by itself;
- a driver error is the driver's own exception (`sqlite3.Error`, `psycopg.Error`), not wrapped in
  `sqlalchemy.exc.DBAPIError`; a connection it broke is found by the pool's pre-ping on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the selected columns' keys, in order
    positions: tuple[str, ...] | None  # parameter order for positional drivers (SQLite's qmark)
    fixed: Mapping[str, Any]  # values the statement itself binds (literals in the select)


class Prebuilt:
    def __init__(self, statement: Select[Any]) -> None:
        self._statement = statement
        self._by_dialect: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def first(self, connection: Connection, **params: Any) -> dict[str, Any] | None:
        """The first row as a dict of column key -> value, or None."""
        compiled = self._by_dialect.get(connection.dialect.name) or self._compile(connection)
        values = {**compiled.fixed, **params}
        bound: Any = values if compiled.positions is None else tuple(values[name] for name in compiled.positions)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, bound)
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else dict(zip(compiled.names, row, strict=True))

    def all(self, connection: Connection, **params: Any) -> list[tuple[Any, ...]]:
        """Every row, as tuples in the select's column order (for short ranges read whole: a tile)."""
        compiled = self._by_dialect.get(connection.dialect.name) or self._compile(connection)
        values = {**compiled.fixed, **params}
        bound: Any = values if compiled.positions is None else tuple(values[name] for name in compiled.positions)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, bound)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _compile(self, connection: Connection) -> _Compiled:
        dialect = connection.dialect
        for column in self._statement.selected_columns:
            if column.type.dialect_impl(dialect).result_processor(dialect, None) is not None:
                raise TypeError(f"column {column.key!r} ({column.type}) needs type processing: use Connection.execute")
        compiled = self._statement.compile(dialect=dialect)
        positions = tuple(compiled.positiontup) if compiled.positiontup is not None else None
        fixed = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        built = _Compiled(str(compiled), tuple(self._statement.selected_columns.keys()), positions, fixed)
        with self._lock:
            return self._by_dialect.setdefault(dialect.name, built)
