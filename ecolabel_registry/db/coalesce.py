"""Concurrent requests of one process share one read: a read coalescer on the event loop.

On PostgreSQL a one-row answer paid a hand-off to a thread and back, a statement and its round trip per
request (BENCHMARKS.md, changelog "PostgreSQL reads"). A `Coalescer` takes the keys that requests ask
for while no read is running, reads them all with one call of `fetch` (one statement for many keys, in
a thread), and hands each request its value; the event loop goes on with other requests meanwhile.

Linearizable: a request is only served by a read that started after it arrived. The keys waiting are
taken when a read starts, before its statement is sent; a request that arrives while a read runs waits
for the next one, started as soon as that read ends. A statement outside any transaction sees every
commit that completed before it started, so nothing committed before a request arrived is missed; and
nothing is kept after a read, so the next one asks the database again. Each process has its own
coalescers (per engine, per event loop) and shares nothing with another: several processes each read the
database as one process does, and none can serve a request from a read that started before it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Mapping
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Coalescer(Generic[K, V]):
    """`get(key)` through one `fetch(keys)` for all the keys that arrived before it started.

    `fetch` runs in a thread and returns a value for each key it was given; one exception it raises is
    each waiting request's. Use one coalescer per event loop: its futures belong to the loop.
    """

    def __init__(self, fetch: Callable[[list[K]], Mapping[K, V]]) -> None:
        self._fetch = fetch
        self._waiting: dict[K, list[asyncio.Future[V]]] = {}
        self._reading: asyncio.Task[None] | None = None

    async def get(self, key: K) -> V:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V] = loop.create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._reading is None:
            self._reading = loop.create_task(self._read_while_waiting())
        return await future

    async def _read_while_waiting(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}  # taken before the statement is sent
                try:
                    found = await run_in_threadpool(self._fetch, list(batch))
                except BaseException as exc:
                    for futures in batch.values():
                        _settle(futures, exception=exc)
                    if not isinstance(exc, Exception):
                        raise  # cancelled, or the process is stopping
                    continue
                for key, futures in batch.items():
                    _settle(futures, value=found[key])
        finally:
            self._reading = None
            if self._waiting:  # left by a read that was cancelled: they must not wait for ever
                waiting, self._waiting = self._waiting, {}
                for future in (future for futures in waiting.values() for future in futures):
                    future.cancel()


def _settle(
    futures: list[asyncio.Future[V]], *, value: V | None = None, exception: BaseException | None = None
) -> None:
    for future in futures:
        if future.done():  # its request was cancelled (the client went away)
            continue
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(value)  # type: ignore[arg-type]  # a V whenever no exception is given
