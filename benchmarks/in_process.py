"""What the in-process tools share: one request handed to the ASGI app as uvicorn hands it, and a
registry app on a migrated database with the benchmark's programme and category registered.

The tools (`profile_submission`, `profile_answers`, `answer_bytes`, `check_group`, `writer_group`) count
or time one stage of the registry without a server, a socket or a load generator.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from benchmarks.credentials import Issuer
from ecolabel_registry import app as registry_app
from ecolabel_registry.settings import Settings

App = Callable[[dict[str, Any], Any, Any], Coroutine[Any, Any, None]]
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, headers, body


async def asgi_call(
    app: App,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    query: bytes = b"",
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> Answer:
    """One request as uvicorn hands it to the application, the whole body in one message; a POST says
    its body is JSON, then `headers`."""
    sent_headers = [(b"host", b"127.0.0.1:8000")]
    if method == "POST":
        sent_headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": urllib.parse.unquote(path),
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [*sent_headers, *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status = 0
    answered: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # a disconnect would come here; none does
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            answered.extend(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, answered, b"".join(chunks)


@contextmanager
def registered_registry(
    url: str, workdir: Path, issuer: Issuer, admin_token: str, **settings: Any
) -> Iterator[tuple[FastAPI, TestClient]]:
    """The app as `create_app` builds it on `url` (migrated), its lifespan running, the issuer's programme
    and category registered; `settings`: more than the quiet defaults (no fsck, warnings only)."""
    chosen = Settings(
        database_url=url,
        signing_key_path=workdir / "key.pem",
        admin_token=admin_token,
        fsck_interval_s=0,
        log_format="text",
        log_level="WARNING",
        **settings,
    )
    app = registry_app.create_app(chosen)
    with TestClient(app) as client:
        admin = {"Authorization": f"Bearer {admin_token}"}
        assert client.post("/v1/programmes", json=issuer.registration(), headers=admin).status_code == 201
        category = {"category": issuer.category()}
        assert client.post(f"/v1/programmes/{issuer.programme_id}/categories", json=category).status_code == 201
        yield app, client
