"""`ecolabel-registry layout`: two API processes, a worker and two witnesses on one PostgreSQL, as in production.

A write through one process is read through the other, a status change posted to the first reaches a
subscriber registered through the second (so the worker is delivering), the published checkpoint ends
up cosigned by both witnesses (so the worker is witnessing), and SIGTERM stops everything.
PostgreSQL comes from tests/conftest.py's `postgres_database`: without a server this test is skipped
with a reason, and under CI (CI set) it fails.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.registry.factories import JSON_HEADERS, Certifier, certificate_id, programme_registration
from tests.webhooks.conftest import Receiver, receiver  # noqa: F401  (fixture)
from verification.policy import Policy, WitnessQuorumNotMet

ADMIN_TOKEN = "layout-admin-token-0123456789abcdefghijklmnopqrstuvwxyz"
READY = "Ctrl-C stops them all"
_CHILD = re.compile(r"^\s+(api-\d+|worker|witness-\d+)\s+(\S+).*pid (\d+)$")

pytestmark = pytest.mark.slow


@dataclass
class Layout:
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    witnesses: list[str] = field(default_factory=list)
    pids: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        return "\n".join(self.output)


def _consecutive_free_ports(count: int = 4) -> int:
    """Two API processes, then two witnesses, on consecutive ports."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port: int = first.getsockname()[1]
            taken = []
            try:
                for offset in range(1, count):
                    taken.append(socket.socket())
                    taken[-1].bind(("127.0.0.1", port + offset))
            except OSError:
                continue
            finally:
                for sock in taken:
                    sock.close()
            return port
    raise RuntimeError(f"no {count} consecutive free ports")


def _read_lines(stream: Any, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))


@pytest.fixture
def layout(postgres_database: Any, tmp_path: Path) -> Iterator[Layout]:
    postgres_database.reset()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOLABEL_")}
    env.update(
        {
            "ECOLABEL_DATABASE_URL": postgres_database.url,
            "ECOLABEL_ADMIN_TOKEN": ADMIN_TOKEN,
            "ECOLABEL_SIGNING_KEY_PATH": str(tmp_path / "registry-key.pem"),
            "ECOLABEL_ADMIN_TOKEN_PATH": str(tmp_path / "admin-token"),
            "ECOLABEL_LOG_ORIGIN": "layout.test/log",
            "ECOLABEL_WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver listens on loopback
            "ECOLABEL_LOG_FORMAT": "text",
        }
    )
    port = _consecutive_free_ports()
    command = [sys.executable, "-m", "ecolabel_registry.cli", "layout", "--serve", "2", "--worker", "--port", str(port)]
    command += ["--witnesses", "2", "--witness-dir", str(tmp_path / "witnesses")]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started = Layout(process)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        while READY not in started.text():
            assert process.poll() is None, started.text()
            assert time.monotonic() < deadline, started.text()
            try:
                started.output.append(lines.get(timeout=1))
            except queue.Empty:
                continue
            matched = _CHILD.match(started.output[-1])
            if matched:
                started.pids[matched[1]] = int(matched[3])
                if matched[1].startswith("api-"):
                    started.urls.append(matched[2])
                elif matched[1].startswith("witness-"):
                    started.witnesses.append(matched[2])
        yield started
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        reader.join(timeout=10)  # the pipe reaches EOF once every process holding it has exited
        if process.stdout is not None:
            process.stdout.close()


def _register(http: httpx.Client) -> Certifier:
    fixture = programme_registration()
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", **JSON_HEADERS}
    assert http.post("/v1/programmes", content=fixture.body, headers=headers).status_code == 201
    body = Certifier(programme_id=fixture.id, keys=dict(fixture.keys), kid=next(iter(fixture.keys)))
    category = body.sign(body.category_payload(), "ecolabel-category+jwt")
    assert http.post(f"/v1/programmes/{fixture.id}/categories", json={"category": category}).status_code == 201
    return body


def test_two_api_processes_and_a_worker_share_one_postgresql_and_stop_cleanly(
    layout: Layout,
    receiver: Receiver,  # noqa: F811  (the imported fixture)
) -> None:
    assert len(layout.urls) == 2
    assert set(layout.pids) == {"api-1", "api-2", "worker", "witness-1", "witness-2"}
    first, second = (httpx.Client(base_url=url, timeout=30) for url in layout.urls)
    with first, second:
        body = _register(first)
        credential = body.credential()
        assert first.post("/v1/certificates", json={"credential": credential}).status_code == 201
        certificate = certificate_id(credential)
        read = second.get(f"/v1/certificates/{certificate}")
        assert read.status_code == 200
        assert read.json()["credential"] == credential

        watch = {"callback_url": receiver.url, "watch": "certificate", "target": certificate}
        operator = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        assert second.post("/v1/subscriptions", json=watch, headers=operator).status_code == 201
        event = body.status_event(certificate, 1, certificate, "suspended")
        assert first.post(f"/v1/certificates/{certificate}/events", json={"event": event}).status_code == 201
        receiver.wait_for(1, timeout_s=60)  # only the worker delivers webhooks

        identity = second.get("/.well-known/ecolabel-registry").json()
        assert [w["url"] for w in identity["witnesses"]] == layout.witnesses
        policy = Policy.parse(identity["witness_policy"])  # both witnesses required
        size = first.get("/v1/log/checkpoint").json()["tree_size"]
        deadline = time.monotonic() + 60
        while True:  # the worker submits the new checkpoint to both witnesses within a poll or two
            try:
                witnessed = policy.verify(second.get("/log/checkpoint").text)
                if witnessed.checkpoint.tree_size == size:
                    break
            except WitnessQuorumNotMet:
                pass
            assert time.monotonic() < deadline, layout.text()
            time.sleep(0.2)
        assert set(witnessed.cosigned_by) == {"w1", "w2"}

    layout.process.send_signal(signal.SIGTERM)
    assert layout.process.wait(timeout=60) == 0, layout.text()
    for pid in layout.pids.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # every process the layout started is gone, not orphaned
