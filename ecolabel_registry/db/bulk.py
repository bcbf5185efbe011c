"""Many rows into one table at once: `COPY` on PostgreSQL, `executemany` elsewhere.

psycopg runs an `executemany` INSERT as one statement per row (in pipeline mode); `COPY … FROM STDIN`
streams the rows into one command, which is several times faster for a batch of 1,000 certificates
(six tables' rows each). Small batches keep the INSERT: a COPY has a fixed cost of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, Table, insert

COPY_FROM_ROWS = 50


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, in the caller's transaction."""
    if not rows:
        return
    if connection.dialect.name != "postgresql" or len(rows) < COPY_FROM_ROWS:
        connection.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    as_json = {name for name in names if isinstance(table.c[name].type, JSON)}
    quote = connection.dialect.identifier_preparer.quote
    command = f"COPY {quote(table.name)} ({', '.join(quote(name) for name in names)}) FROM STDIN"
    driver: Any = connection.connection.driver_connection  # psycopg.Connection, in this transaction
    with driver.cursor() as cursor, cursor.copy(command) as copy:
        for row in rows:
            copy.write_row([orjson.dumps(row[name]).decode() if name in as_json else row[name] for name in names])
