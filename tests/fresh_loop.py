"""`asyncio.run` on a thread of its own, for tests that drive a coroutine from synchronous code.

Some earlier test in a worker process can leave the runner's thread marked as running an event loop,
and `asyncio.run` refuses to start there; a thread of its own always has a fresh loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_fresh(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`asyncio.run(main())` on a new thread; the coroutine is made there, so none is left unawaited."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()
