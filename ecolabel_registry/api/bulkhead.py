"""At most N catalogue checks at a time per process, the rest waiting before their bodies are read.

A 10,000-line eligibility check is ~200 ms of pure CPU under the GIL. Two at once in one process are not
faster than one after the other: they are slower (36,500 against 46,500 lines/s measured, BENCHMARKS.md),
because the second request's body is parsed on the event loop while the first is judged on a thread,
and SQLite releases and retakes the GIL for every row it returns. Waiting here, before anything is read,
keeps one check per process running at full speed; the other processes of a deployment take the rest.
The request's gate (`api.gate.RequestGate`) takes the semaphore, innermost of its checks.
"""

from __future__ import annotations

import anyio
from starlette.types import Scope

STATE_KEY = "catalogue_checks"  # app.state attribute holding the semaphore, made by the lifespan


def semaphore(limit: int) -> anyio.Semaphore:
    """Made in the lifespan, so that it belongs to the event loop that serves the requests."""
    return anyio.Semaphore(limit)


def gate(scope: Scope, paths: frozenset[str]) -> anyio.Semaphore | None:
    """The semaphore a POST on one of `paths` takes first (`app.state.catalogue_checks`), else None."""
    if scope["method"] == "POST" and scope["path"] in paths:
        found: anyio.Semaphore | None = getattr(scope["app"].state, STATE_KEY, None)
        return found
    return None
