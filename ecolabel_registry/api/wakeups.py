"""Results decided on another thread, handed to the requests waiting on one event loop in one wake-up.

The group-commit sequencer (`certificates.sequencer`) resolves a group's futures one after another on
the thread that decided them (its checker or its writer). `asyncio.wrap_future` gave each its own
cross-thread call (`call_soon_threadsafe`: a handle, a wake-up of the loop, then a copy of the result),
~5% of a single submission's instructions on the event loop. Here each result is appended to a list,
and the first one since the loop last looked schedules the one call that hands every result listed by
then to its waiter: one wake-up per group, not per request.

Otherwise a waiter behaves as `asyncio.wrap_future`'s: it gets the result, the exception or the
cancellation of its future, and a waiter cancelled first (its client went away) cancels its future, so
the writer leaves a request that has not started (`Future.set_running_or_notify_cancel`).

    result = await wakeups.of(asyncio.get_running_loop()).wait(sequencer.certificate(token))
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

_Done = tuple["asyncio.Future[Any]", "Future[Any]"]


class Wakeups:
    """The waiters of one event loop whose futures are decided elsewhere."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._done: list[_Done] = []  # decided, not yet handed over; a drain is scheduled when non-empty

    def wait(self, future: Future[T]) -> asyncio.Future[T]:
        """An asyncio future of this loop that gets `future`'s outcome; called on this loop's thread."""
        waiter: asyncio.Future[T] = self._loop.create_future()
        waiter.add_done_callback(lambda _: waiter.cancelled() and future.cancel())
        future.add_done_callback(lambda decided: self._decided(waiter, decided))
        return waiter

    def _decided(self, waiter: asyncio.Future[Any], future: Future[Any]) -> None:
        """On the thread that decided `future` (or on this loop's, if it was decided already)."""
        with self._lock:
            self._done.append((waiter, future))
            if len(self._done) > 1:  # a drain is already scheduled and has not taken the list yet
                return
        try:
            self._loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # the loop is closed: nobody is left to answer (as `wrap_future` does)
            with self._lock:
                self._done.clear()

    def _drain(self) -> None:
        with self._lock:
            done, self._done = self._done, []
        for waiter, future in done:
            if waiter.done():  # cancelled while its future was being decided
                continue
            if future.cancelled():
                waiter.cancel()
            elif (error := future.exception()) is not None:
                waiter.set_exception(error)
            else:
                waiter.set_result(future.result())


_of_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Wakeups] = weakref.WeakKeyDictionary()


def of(loop: asyncio.AbstractEventLoop) -> Wakeups:
    """The loop's one `Wakeups`, made on first use (on the loop's thread)."""
    found = _of_loop.get(loop)
    if found is None:
        found = _of_loop[loop] = Wakeups(loop)
    return found
