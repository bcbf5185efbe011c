"""A real HTTP receiver on 127.0.0.1 that records every webhook delivery, and the worker run in-process."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.settings import Settings
from ecolabel_registry.webhooks.matching import Notifier
from ecolabel_registry.webhooks.worker import Policy
from tests.registry.conftest import admin_headers, client, settings  # noqa: F401  (fixtures)
from tests.webhooks.world import InProcessWorker


@pytest.fixture
def worker(client: TestClient, settings: Settings) -> Iterator[InProcessWorker]:  # noqa: F811
    """Needs the app started (`client`): the app creates the signing key the worker signs with."""
    engine = build_engine(settings.database_url, pool_size=2)
    yield InProcessWorker(engine, Policy.from_settings(settings), Notifier.from_settings(settings))
    engine.dispose()


@dataclass
class Received:
    key: str
    attempt: int
    body: str
    host: str = ""


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    stall_first_s: float = 0.0  # hold the first request this long (to kill a worker mid-delivery)
    status: int = 204
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self) -> set[str]:
        with self.lock:
            return {r.key for r in self.received}

    def wait_for(self, count: int, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if len(self.keys()) >= count:
                return
            time.sleep(0.05)
        raise AssertionError(f"only {len(self.keys())} of {count} deliveries arrived")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve_receiver(("127.0.0.1", 0)) as state:
        yield state


@contextmanager
def serve_receiver(address: tuple[str, int], tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            with state.lock:
                first = not state.received
                state.received.append(
                    Received(
                        self.headers["Idempotency-Key"],
                        int(self.headers["X-Ecolabel-Delivery-Attempt"]),
                        body,
                        self.headers["Host"],
                    )
                )
            if first and state.stall_first_s:
                time.sleep(state.stall_first_s)
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *_args: object) -> None:  # keep test output clean
            return

    server = ThreadingHTTPServer(address, Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    state.url = f"{'https' if tls else 'http'}://{address[0]}:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
