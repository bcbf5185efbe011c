"""Engine construction for SQLite (a file, for pilots and tests) and PostgreSQL (production).

Write transactions on SQLite start with `BEGIN IMMEDIATE` so that two writers never both read the
log head and then fail to upgrade their lock; PostgreSQL serialises log appends with a row lock
instead (see `ecolabel_registry.log.repository`).
"""

from __future__ import annotations

import select
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from ecolabel_registry.db.bulk import as_sqlalchemy_error
from ecolabel_registry.db.jsontext import json_text
from ecolabel_registry.db.raw import DriverConnection
from ecolabel_registry.db.readers import readers_of

SQLITE_BUSY_TIMEOUT_MS = 30_000


def build_engine(url: str, *, pool_size: int = 10) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # JSON columns (a certificate's markets) are read with orjson: a catalogue check reads thousands.
        # They are written as orjson's compact text too, as `db.bulk` copies them on PostgreSQL, so one
        # value is stored as one text however many rows went in with it.
        # A pooled SQLite connection keeps its page cache and parsed schema; one opened and closed per
        # request (an overflow connection) starts cold and pays four PRAGMAs, so keep as many as PostgreSQL.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size,
            json_serializer=json_text,
            json_deserializer=orjson.loads,
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, json_serializer=json_text, json_deserializer=orjson.loads
    )
    event.listen(engine, "checkout", _check_alive)
    return engine


def _check_alive(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """The pool's pre-ping without its round trip, for a connection that has heard nothing since its last use.

    `pool_pre_ping` sent `SELECT 1` before every checkout: a round trip that was half the statements of a
    one-read answer (BENCHMARKS.md). A pooled connection is idle, with no statement outstanding, so the
    server has nothing to say to it; when the server goes (a restart, `pg_terminate_backend`, an idle
    timeout) it says so and closes the socket, and the socket becomes readable. So the socket is polled
    without waiting: nothing to read means the connection is as it was left, and only one with something
    to read (or a closed or broken one) is pinged as before, then replaced if the ping fails.
    """
    if is_alive(dbapi_connection):
        return
    raise DisconnectionError("the server closed or spoke on an idle connection, and did not answer a ping")


def is_alive(driver_connection: Any) -> bool:
    """Whether a psycopg connection, idle outside a statement, is fit to use (see `_check_alive`)."""
    if driver_connection.closed or driver_connection.broken:
        return False
    poller = select.poll()
    poller.register(driver_connection.fileno(), select.POLLIN | select.POLLPRI)
    if not poller.poll(0):
        return True  # the server sent nothing: the common case, without a round trip
    try:  # a notice, or the server's farewell: ask, as pool_pre_ping would have
        before = driver_connection.autocommit
        driver_connection.autocommit = True
        with driver_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        driver_connection.autocommit = before
    except Exception:  # noqa: BLE001 - any failure means this connection is not usable
        return False
    return True


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that BEGIN is ours (SQLAlchemy
        # "Serializable isolation / Savepoints / Transactional DDL" recipe for pysqlite).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # On the driver's connection: through `exec_driver_sql` a BEGIN cost ~50 µs of CPU, SQLAlchemy's
        # execution context around a statement SQLite runs in a few (BENCHMARKS.md). A driver error (the
        # busy timeout run out) is still SQLAlchemy's `OperationalError`.
        begin = "BEGIN IMMEDIATE" if connection.get_execution_options().get("sqlite_immediate", False) else "BEGIN"
        with as_sqlalchemy_error(connection, begin):
            connection.connection.driver_connection.execute(begin)  # type: ignore[union-attr]


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction: committed on success, rolled back on any error."""
    with engine.connect() as raw:
        connection = raw.execution_options(sqlite_immediate=True)
        with connection.begin():
            yield connection


@contextmanager
def write_transaction(connection: Connection) -> Iterator[Connection]:
    """`write_connection`'s transaction on a connection the caller has checked out already, so that reads
    done before it (outside any lock) and the write need one checkout. A transaction those reads began
    is ended first: on SQLite the write must begin with `BEGIN IMMEDIATE`."""
    if connection.in_transaction():
        connection.rollback()
    writer = connection.execution_options(sqlite_immediate=True)
    with writer.begin():
        yield writer


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction that sees one snapshot: answers that name a checkpoint must not mix states.

    SQLite in WAL mode gives a deferred transaction a snapshot at its first read; PostgreSQL needs
    REPEATABLE READ for the same.
    """
    with engine.connect() as raw:
        connection = raw.execution_options(isolation_level="REPEATABLE READ") if not is_sqlite(engine) else raw
        with connection.begin():
            yield connection


@contextmanager
def autocommit_connection(engine: Engine) -> Iterator[Connection]:
    """A connection outside any transaction, for reads whose every statement is consistent on its own.

    On PostgreSQL it is in AUTOCOMMIT: nothing begins a transaction, no BEGIN or COMMIT round trip. On
    SQLite the driver is in autocommit already (see `_configure_sqlite`): statements run on the cursor
    (`db.raw.Prebuilt`) each see their own snapshot; one through `Connection.execute` still begins a
    transaction, rolled back when the connection goes back to the pool.
    """
    with engine.connect() as raw:
        yield raw if is_sqlite(engine) else raw.execution_options(isolation_level="AUTOCOMMIT")


def single_statements(engine: Engine) -> AbstractContextManager[DriverConnection]:
    """A driver connection outside any transaction, for a few `Prebuilt.first` reads each consistent alone.

    On PostgreSQL it is one of the engine's readers (`db.readers`: a connection kept in autocommit
    outside the pool), or `autocommit_connection`'s when all are in use. On SQLite each thread keeps one
    connection of its own for these reads, taken from the pool once and detached from it. On both,
    checking a connection out of the pool and back in, with SQLAlchemy's `Connection` around it, cost
    more than the one-row read it served (a tenth of a recognition answer's CPU, BENCHMARKS.md). Each statement still
    reads the database: in autocommit it sees the latest commit of any process by itself (WAL), and the
    cursor is closed after it, so no read transaction stays open. `Engine.dispose` drops them, as it
    drops the pool, so a database file replaced behind a disposed engine is read afresh.
    """
    if not is_sqlite(engine):
        return _borrowed_reader(engine)
    return _Held(_own_reader(engine))


class _Held:
    """A context around a connection that needs no release (this thread's own SQLite reader): a generator's
    context manager cost ~2 µs per use, a tenth of the one-row read it wraps."""

    __slots__ = ("_connection",)

    def __init__(self, connection: DriverConnection) -> None:
        self._connection = connection

    def __enter__(self) -> DriverConnection:
        return self._connection

    def __exit__(self, *exc: object) -> None:
        return None


@contextmanager
def _borrowed_reader(engine: Engine) -> Iterator[DriverConnection]:
    with readers_of(engine, is_alive).borrowed() as reader:
        if reader is not None:
            yield reader
            return
    with autocommit_connection(engine) as connection:  # every reader in use
        yield DriverConnection(connection.dialect, connection.connection.driver_connection)


def _own_reader(engine: Engine) -> DriverConnection:
    own = _own.get(engine)
    if own is None:
        with _own_lock:
            own = _own.get(engine)
            if own is None:
                own = _own[engine] = threading.local()
                event.listen(engine, "engine_disposed", _forget_own)
    found: DriverConnection | None = getattr(own, "reader", None)
    if found is None:
        pooled = engine.raw_connection()
        found = own.reader = DriverConnection(engine.dialect, pooled.driver_connection)
        pooled.detach()  # this thread's from now on; closed when the thread or the engine goes
    return found


def _forget_own(engine: Engine) -> None:
    with _own_lock:
        _own.pop(engine, None)  # each thread's connection is closed when collected


_own: WeakKeyDictionary[Engine, threading.local] = WeakKeyDictionary()
_own_lock = threading.Lock()
