"""`db.coalesce.Coalescer`: requests that wait together share one read, and none is served by a read
that started before it arrived (so nothing committed before a request arrived is missed)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping

import pytest

from ecolabel_registry.db.coalesce import Coalescer
from tests.fresh_loop import run_fresh


class _Database:
    """A fake store read in a thread: each read returns the value at the moment it starts, and can be
    held until the test lets it finish (to make requests arrive while it runs)."""

    def __init__(self) -> None:
        self.value = 0
        self.reads: list[list[str]] = []
        self.started = threading.Event()
        self.finish = threading.Event()
        self.finish.set()

    def fetch(self, keys: list[str]) -> Mapping[str, int]:
        seen = self.value  # what a statement sent now would see
        self.reads.append(sorted(keys))
        self.started.set()
        self.finish.wait(timeout=10)
        return dict.fromkeys(keys, seen)


def test_requests_waiting_together_share_one_read() -> None:
    database = _Database()

    async def main() -> list[int]:
        coalescer: Coalescer[str, int] = Coalescer(database.fetch)
        return list(await asyncio.gather(*(coalescer.get(key) for key in ("a", "b", "a", "c"))))

    assert run_fresh(main) == [0, 0, 0, 0]
    assert database.reads == [["a", "b", "c"]]


def test_a_request_arriving_during_a_read_waits_for_the_next_one_and_sees_what_was_committed_before_it() -> None:
    database = _Database()
    database.finish.clear()

    async def main() -> tuple[int, int]:
        coalescer: Coalescer[str, int] = Coalescer(database.fetch)
        early = asyncio.ensure_future(coalescer.get("a"))
        await asyncio.to_thread(database.started.wait, 10)  # the first read has begun, with value 0
        database.value = 1  # committed after the first read started, before the next request arrives
        late = asyncio.ensure_future(coalescer.get("a"))
        await asyncio.sleep(0)
        database.finish.set()
        return await early, await late

    assert run_fresh(main) == (0, 1)
    assert database.reads == [["a"], ["a"]]


def test_a_failed_read_fails_its_requests_and_the_next_read_is_tried_afresh() -> None:
    calls: list[list[str]] = []

    def fetch(keys: list[str]) -> Mapping[str, int]:
        calls.append(keys)
        if len(calls) == 1:
            raise LookupError("the database went away")
        return dict.fromkeys(keys, 7)

    async def main() -> int:
        coalescer: Coalescer[str, int] = Coalescer(fetch)
        with pytest.raises(LookupError):
            await coalescer.get("a")
        return await coalescer.get("a")

    assert run_fresh(main) == 7
