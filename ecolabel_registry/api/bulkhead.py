"""At most N catalogue checks at a time per process, the rest waiting before their bodies are read.

A 10,000-line eligibility check is ~200 ms of pure CPU under the GIL. Two at once in one process are not
faster than one after the other: they are slower (36,500 against 46,500 lines/s measured, BENCHMARKS.md),
because the second request's body is parsed on the event loop while the first is judged on a thread,
and SQLite releases and retakes the GIL for every row it returns. Waiting here, before anything is read,
keeps one check per process running at full speed; the other processes of a deployment take the rest.
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

STATE_KEY = "catalogue_checks"  # app.state attribute holding the semaphore, made by the lifespan


def semaphore(limit: int) -> anyio.Semaphore:
    """Made in the lifespan, so that it belongs to the event loop that serves the requests."""
    return anyio.Semaphore(limit)


class Bulkhead:
    """POST requests on `paths` take the application's semaphore (`app.state.catalogue_checks`) first."""

    def __init__(self, app: ASGIApp, *, paths: frozenset[str]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gate: anyio.Semaphore | None = None
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in self.paths:
            gate = getattr(scope["app"].state, STATE_KEY, None)
        if gate is None:
            await self.app(scope, receive, send)
            return
        async with gate:
            await self.app(scope, receive, send)
