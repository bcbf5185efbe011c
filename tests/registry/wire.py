"""What a database really received: every statement the driver sent, BEGIN and COMMIT included.

SQLAlchemy's cursor events miss statements run on the driver's cursor (`db.raw.Prebuilt`) and the BEGIN
psycopg sends by itself, so this listens below them: SQLite's trace callback, and libpq's protocol trace
on PostgreSQL. Pooled connections are traced while checked out; one detached from the pool while checked
out (a reader of `db.readers`, opened during the block) is traced until the block ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from psycopg import pq
from sqlalchemy import Engine, event

# A statement in libpq's trace (its newlines kept): a simple query, or an extended-protocol Parse.
_SENT = re.compile(
    r'^F\t\d+\t(?:Query\t "(?P<query>.*?)"\n|Parse\t "[^"]*" "(?P<parse>.*?)" \d+)', re.MULTILINE | re.DOTALL
)


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """The statements sent while the block runs, in order, filled in when it ends."""
    sent: list[str] = []
    with TemporaryDirectory() as scratch:
        traces: list[Path] = []
        files: dict[int, tuple[Any, Any]] = {}  # id -> (driver connection, its trace file)

        def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            if engine.dialect.name == "sqlite":
                dbapi_connection.set_trace_callback(sent.append)
                return
            path = Path(scratch) / f"{len(traces)}.trace"
            traces.append(path)
            out = path.open("wb")
            files[id(dbapi_connection)] = (dbapi_connection, out)
            dbapi_connection.pgconn.trace(out.fileno())
            dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

        def checkin(dbapi_connection: Any, _record: Any) -> None:
            if engine.dialect.name == "sqlite":
                dbapi_connection.set_trace_callback(None)
                return
            if (traced := files.pop(id(dbapi_connection), None)) is not None:
                dbapi_connection.pgconn.untrace()
                traced[1].close()

        event.listen(engine, "checkout", checkout)
        event.listen(engine, "checkin", checkin)
        try:
            yield sent
        finally:
            event.remove(engine, "checkout", checkout)
            event.remove(engine, "checkin", checkin)
            for connection, out in files.values():  # detached from the pool: never checked in
                if not connection.closed:
                    connection.pgconn.untrace()
                out.close()
        for path in traces:  # one connection at a time in these tests, so their order is the order sent
            text = path.read_text(errors="replace")
            sent.extend(match["query"] or match["parse"] for match in _SENT.finditer(text))
