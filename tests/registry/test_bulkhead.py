"""Catalogue checks wait for each other before their bodies are read; other requests never wait."""

from __future__ import annotations

from types import SimpleNamespace

import anyio
import pytest
from anyio.from_thread import start_blocking_portal
from starlette.types import Receive, Scope, Send

from ecolabel_registry.api.bulkhead import STATE_KEY, semaphore
from ecolabel_registry.api.gate import RequestGate
from ecolabel_registry.api.limits import BodySizeLimit


class _Recorder:
    """An ASGI app that counts how many requests are inside it at once."""

    def __init__(self) -> None:
        self.inside = 0
        self.most = 0

    async def __call__(self, _scope: Scope, _receive: Receive, _send: Send) -> None:
        self.inside += 1
        self.most = max(self.most, self.inside)
        await anyio.sleep(0.01)  # a check in progress: others arrive meanwhile
        self.inside -= 1


async def _concurrently(path: str, method: str, limit: int) -> int:
    inner = _Recorder()
    gate = RequestGate(inner, body=BodySizeLimit(max_bytes=1024), catalogue_paths=frozenset({"/v1/verify/eligibility"}))
    app = SimpleNamespace(state=SimpleNamespace(**{STATE_KEY: semaphore(limit)}))

    async def nothing() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    async def ignore(_message: object) -> None:
        return None

    async with anyio.create_task_group() as group:
        for _ in range(4):
            scope = {"type": "http", "method": method, "path": path, "app": app, "headers": []}
            group.start_soon(gate, scope, nothing, ignore)
    return inner.most


def _run(path: str, method: str, limit: int) -> int:
    # An event loop of its own, in a thread of its own: other tests in this process (the browser tests)
    # may leave a loop marked as running in the main thread.
    with start_blocking_portal() as portal:
        return portal.call(_concurrently, path, method, limit)


@pytest.mark.parametrize("limit", [1, 2])
def test_catalogue_checks_run_at_most_limit_at_a_time(limit: int) -> None:
    assert _run("/v1/verify/eligibility", "POST", limit) == limit


def test_other_requests_are_not_held() -> None:
    assert _run("/v1/verify/certificates/x", "GET", 1) == 4
    assert _run("/v1/verify/eligibility", "GET", 1) == 4
