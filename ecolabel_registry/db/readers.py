"""PostgreSQL connections kept for single autocommit statements, beside the pool (`engine.single_statements`).

A one-row read outside any transaction (the checkpoint, or a certificate with its key and the head)
took a few tens of microseconds of CPU on psycopg's cursor, and three times that around it: SQLAlchemy's
`Connection`, the pool's checkout and checkin with their events, switching the connection to
AUTOCOMMIT and back, and the reset on return (BENCHMARKS.md, changelog "PostgreSQL reads"). A reader
is a driver connection taken from the pool once, detached from it and left in autocommit for good: a
read borrows one from a free list (a lock and a list) and gives it back, nothing else.

* At most `limit` readers per engine (the engine's pool size, which is also the number of threads
  that answer requests: `app.lifespan` sets the thread limiter to it); a read that finds none free and
  the limit reached borrows an autocommit connection from the pool as before.
* A reader is checked as a pooled one is (`engine.is_alive`: a poll of its socket, a ping only when
  the server said something) each time it is borrowed, and dropped if it fails; one that a statement
  left broken, or inside a transaction, is closed rather than given back.
* Each statement reads the database: nothing is cached, each sees the latest commit by itself.
* `Engine.dispose` closes the free ones and forgets the rest (closed when their read ends).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from weakref import WeakKeyDictionary

from psycopg import pq
from sqlalchemy import Engine, event

from ecolabel_registry.db.raw import DriverConnection


class Readers:
    def __init__(self, engine: Engine, limit: int, is_alive: Callable[[Any], bool]) -> None:
        self._engine = engine
        self._limit = limit
        self._is_alive = is_alive
        self._free: list[DriverConnection] = []
        self._count = 0  # readers open, free or borrowed
        self._lock = threading.Lock()
        self.closed = False

    @contextmanager
    def borrowed(self) -> Iterator[DriverConnection | None]:
        """A reader for the block, or None when all `limit` are in use (then use the pool)."""
        reader = self._take()
        if reader is None:
            yield None
            return
        try:
            yield reader
        except BaseException:
            self._give_back(reader, fit=self._idle(reader))
            raise
        self._give_back(reader, fit=self._idle(reader))

    def close(self) -> None:
        with self._lock:
            self.closed = True
            free, self._free = self._free, []
        for reader in free:
            reader.driver_connection.close()

    def _take(self) -> DriverConnection | None:
        while True:
            with self._lock:
                if self._free:
                    reader = self._free.pop()
                elif self._count < self._limit and not self.closed:
                    self._count += 1
                    break
                else:
                    return None
            if self._is_alive(reader.driver_connection):
                return reader
            self._drop(reader)  # then take another, or open one
        try:
            return self._open()
        except BaseException:
            with self._lock:
                self._count -= 1
            raise

    def _open(self) -> DriverConnection:
        pooled = self._engine.raw_connection()
        driver = pooled.driver_connection
        pooled.detach()  # a reader from now on: the pool no longer counts or resets it
        driver.autocommit = True  # type: ignore[union-attr]
        return DriverConnection(self._engine.dialect, driver)

    @staticmethod
    def _idle(reader: DriverConnection) -> bool:
        driver = reader.driver_connection
        return not driver.closed and driver.pgconn.transaction_status == pq.TransactionStatus.IDLE

    def _give_back(self, reader: DriverConnection, *, fit: bool) -> None:
        with self._lock:
            if fit and not self.closed:
                self._free.append(reader)
                return
        self._drop(reader)

    def _drop(self, reader: DriverConnection) -> None:
        with self._lock:
            self._count -= 1
        with suppress(Exception):  # closing a broken connection may fail; it is gone either way
            reader.driver_connection.close()


def readers_of(engine: Engine, is_alive: Callable[[Any], bool]) -> Readers:
    """The engine's readers, made on first use (limit: its pool's size)."""
    found = _readers.get(engine)
    if found is None:
        with _lock:
            found = _readers.get(engine)
            if found is None:
                limit = max(1, engine.pool.size())  # type: ignore[attr-defined]
                found = _readers[engine] = Readers(engine, limit, is_alive)
                event.listen(engine, "engine_disposed", _forget)
    return found


def _forget(engine: Engine) -> None:
    with _lock:
        found = _readers.pop(engine, None)
    if found is not None:
        found.close()


_readers: WeakKeyDictionary[Engine, Readers] = WeakKeyDictionary()
_lock = threading.Lock()
