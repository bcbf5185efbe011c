"""Server processes on 127.0.0.1 for the HTTP figures: the real registry, its app floor, a bare endpoint.

The registry runs as `ecolabel-registry serve` (the same `ecolabel_registry.cli` entry point, in this
interpreter) with its settings in `ECOLABEL_*` variables, one uvicorn worker unless a figure asks for
more, on a scratch database. The bare endpoint (`benchmarks.bare_app`) and the app floor
(`benchmarks.floor_app`: the registry's application plus a no-op route) go through the same `serve`
command with only the application swapped, so all share every uvicorn option. Output goes to a log
file in the run's temporary directory; it is shown when a server fails to start.
"""

from __future__ import annotations

import os
import secrets
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

from benchmarks.model import Context

STARTUP_TIMEOUT_S = 180  # a server imports the registry first: 15 s and more on a busy 2-vCPU host
LOG_ORIGIN = "bench.example/log"
_APP_STARTED = b"Application startup complete."


@dataclass(frozen=True)
class Server:
    url: str
    admin_token: str
    log: Path
    pid: int = 0  # the serving process (one worker): for its peak memory in /proc/<pid>/status


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _environment(ctx: Context, name: str, database_url: str, admin_token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOLABEL_")}
    env.update(
        {
            "ECOLABEL_DATABASE_URL": database_url,
            "ECOLABEL_SIGNING_KEY_PATH": str(ctx.workdir / f"{name}-signing-key.pem"),
            "ECOLABEL_ADMIN_TOKEN_PATH": str(ctx.workdir / f"{name}-admin-token"),
            "ECOLABEL_ADMIN_TOKEN": admin_token,
            "ECOLABEL_LOG_ORIGIN": LOG_ORIGIN,
            # The per-client (1,000 requests/s) and per-programme (5,000 credentials/s) token buckets share
            # a server between clients; a benchmark is one client measuring the server's capacity. They stay
            # switched on, so their cost is measured, at a rate no run can reach (0 would skip them).
            "ECOLABEL_RATE_LIMIT_CLIENT_PER_SECOND": "1e9",
            "ECOLABEL_RATE_LIMIT_PROGRAMME_PER_SECOND": "1e9",
            # The periodic check of the tables against a replay of the log runs in every API process at its
            # start, then every 5 minutes: no run lasts that long, so only the start ran, over what the
            # database held then. Nothing for a fresh registry; for a second server on a loaded one
            # (`--workers 2` beside one worker), a replay of every certificate inside its timed run. Off, as
            # for the catalogue's servers, and its replica in the run's directory, not the checkout's var/.
            "ECOLABEL_FSCK_INTERVAL_S": "0",
            "ECOLABEL_FSCK_REPLICA_PATH": str(ctx.workdir / f"{name}-fsck.sqlite3"),
        }
    )
    return env


@contextmanager
def _process(ctx: Context, name: str, command: list[str], env: dict[str, str]) -> Iterator[tuple[str, Path, int]]:
    port = _free_port()
    log = ctx.workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield url, log, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not answer /healthz within {STARTUP_TIMEOUT_S} s")


def _wait_for_workers(log: Path, workers: int) -> None:
    """/healthz answers once one worker is up; with several, the others may still be importing the registry
    (seconds on a busy host), and a run started then would measure one worker. Each writes this line."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while log.read_bytes().count(_APP_STARTED) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{workers} workers did not all start within {STARTUP_TIMEOUT_S} s:\n{log.read_text()}")
        time.sleep(0.1)


@contextmanager
def registry_server(
    ctx: Context, name: str, database_url: str, extra: dict[str, str] | None = None, *, workers: int = 1
) -> Iterator[Server]:
    """`ecolabel-registry serve --workers N` on `database_url` (already migrated); `extra`: more settings."""
    token = secrets.token_urlsafe(32)
    command = [sys.executable, "-m", "ecolabel_registry.cli", "serve", "--host", "127.0.0.1", "--workers", str(workers)]
    env = _environment(ctx, name, database_url, token) | (extra or {})
    # The same name, the same signing key: a second server on a database names the key its log was
    # written with. Its output goes to a log file of its own.
    with _process(ctx, name if workers == 1 else f"{name}-workers-{workers}", command, env) as (url, log, pid):
        if workers > 1:
            _wait_for_workers(log, workers)
        yield Server(url, token, log, pid)


@contextmanager
def bare_server(ctx: Context) -> Iterator[Server]:
    """The bare endpoint, served by the same `serve` command (see `benchmarks.bare_app`)."""
    database_url = f"sqlite:///{ctx.workdir / 'bare-unused.sqlite3'}"  # Settings() needs one; never opened
    command = [sys.executable, "-m", "benchmarks.bare_app", "--host", "127.0.0.1", "--workers", "1"]
    with _process(ctx, "bare", command, _environment(ctx, "bare", database_url, "unused")) as (url, log, pid):
        yield Server(url, "", log, pid)


@contextmanager
def floor_server(ctx: Context, database_url: str) -> Iterator[Server]:
    """The registry's own application plus one no-op route, by the same `serve` (`benchmarks.floor_app`)."""
    token = secrets.token_urlsafe(32)
    command = [sys.executable, "-m", "benchmarks.floor_app", "--host", "127.0.0.1", "--workers", "1"]
    with _process(ctx, "floor", command, _environment(ctx, "floor", database_url, token)) as (url, log, pid):
        yield Server(url, token, log, pid)
