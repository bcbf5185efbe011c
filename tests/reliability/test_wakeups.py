"""Results decided on the writer's thread reach the requests waiting on the event loop (`api.wakeups`)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

import pytest

from ecolabel_registry.api import wakeups
from tests.fresh_loop import run_fresh


def _decide_elsewhere(*steps: Any) -> None:
    thread = threading.Thread(target=lambda: [step() for step in steps])
    thread.start()
    thread.join()  # the loop is blocked meanwhile: every outcome waits for its one wake-up


def test_each_waiter_gets_its_own_futures_result_error_or_cancellation() -> None:
    async def scenario() -> None:
        futures: list[Future[int]] = [Future() for _ in range(3)]
        waiting = wakeups.of(asyncio.get_running_loop())
        waiters = [waiting.wait(future) for future in futures]
        _decide_elsewhere(
            lambda: futures[0].set_result(7),
            lambda: futures[1].set_exception(LookupError("refused")),
            futures[2].cancel,
        )
        assert await waiters[0] == 7
        with pytest.raises(LookupError, match="refused"):
            await waiters[1]
        with pytest.raises(asyncio.CancelledError):
            await waiters[2]

    run_fresh(scenario)


def test_a_group_decided_together_wakes_the_loop_once() -> None:
    async def scenario() -> int:
        loop = asyncio.get_running_loop()
        calls = 0
        threadsafe = loop.call_soon_threadsafe

        def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            return threadsafe(*args, **kwargs)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]  # counting the loop's wake-ups
        futures: list[Future[int]] = [Future() for _ in range(16)]
        waiters = [wakeups.of(loop).wait(future) for future in futures]
        _decide_elsewhere(*[lambda n=n, future=future: future.set_result(n) for n, future in enumerate(futures)])
        assert await asyncio.gather(*waiters) == list(range(16))
        later: Future[int] = Future()
        waiter = wakeups.of(loop).wait(later)
        _decide_elsewhere(lambda: later.set_result(99))
        assert await waiter == 99
        return calls

    assert run_fresh(scenario) == 2


def test_a_waiter_whose_client_left_cancels_its_future_so_the_writer_skips_it() -> None:
    async def scenario() -> Future[int]:
        future: Future[int] = Future()
        waiter = wakeups.of(asyncio.get_running_loop()).wait(future)
        waiter.cancel()
        await asyncio.sleep(0)  # the waiter's callbacks run on the loop
        return future

    future = run_fresh(scenario)
    assert future.cancelled()
    assert not future.set_running_or_notify_cancel()


def test_a_future_decided_after_its_waiter_was_cancelled_is_dropped() -> None:
    async def scenario() -> None:
        future: Future[int] = Future()
        assert future.set_running_or_notify_cancel()  # the writer has started it: it can no longer be cancelled
        waiter = wakeups.of(asyncio.get_running_loop()).wait(future)
        waiter.cancel()
        _decide_elsewhere(lambda: future.set_result(1))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert waiter.cancelled()

    run_fresh(scenario)
