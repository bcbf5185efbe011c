"""Real `ecolabel-registry serve` processes on 127.0.0.1 for tests that need separate processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from ecolabel_registry.settings import Settings

STARTUP_TIMEOUT_S = 90  # a liveness wait, not a speed check: a busy two-core host can take a minute


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]


def server_environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOLABEL_")}
    env.update(
        {
            "ECOLABEL_DATABASE_URL": settings.database_url,
            "ECOLABEL_SIGNING_KEY_PATH": str(settings.signing_key_path),
            "ECOLABEL_ADMIN_TOKEN_PATH": str(settings.admin_token_path),
            "ECOLABEL_LOG_ORIGIN": settings.log_origin,
            "ECOLABEL_FSCK_INTERVAL_S": str(settings.fsck_interval_s),
            "ECOLABEL_FSCK_REPLICA_PATH": str(settings.fsck_replica_path),
        }
    )
    if settings.admin_token is not None:
        env["ECOLABEL_ADMIN_TOKEN"] = settings.admin_token.get_secret_value()
    if settings.database_replica_urls:
        env["ECOLABEL_DATABASE_REPLICA_URLS"] = ",".join(settings.database_replica_urls)
        env["ECOLABEL_REPLICA_MAX_LAG"] = str(settings.replica_max_lag)
        env["ECOLABEL_REPLICA_CHECK_INTERVAL"] = str(settings.replica_check_interval)
    return env


@contextmanager
def live_servers(settings: Settings, count: int, log_dir: Path) -> Iterator[list[LiveServer]]:
    """Start `count` server processes sharing one database; stop them all on exit."""
    servers: list[LiveServer] = []
    try:
        for number in range(count):
            port = free_port()
            with (log_dir / f"server-{number}.log").open("wb") as log_file:
                # The child keeps its own copy of the descriptor; ours can close at once.
                process = subprocess.Popen(
                    [sys.executable, "-m", "ecolabel_registry.cli", "serve", "--port", str(port)],
                    env=server_environment(settings),
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
            servers.append(LiveServer(f"http://127.0.0.1:{port}", process))
        for server in servers:
            _wait_until_healthy(server, log_dir)
        yield servers
    finally:
        for server in servers:
            server.process.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


def _wait_until_healthy(server: LiveServer, log_dir: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            logs = "\n".join(p.read_text(errors="replace") for p in log_dir.glob("server-*.log"))
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{logs}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {server.url} did not become healthy")
