"""`ecolabel-registry serve --workers 2` comes up even when each worker takes a while to start.

A worker answers uvicorn's health pings only once its process has imported the registry; on a busy
host that takes longer than uvicorn's default five seconds, and the supervisor then replaced every
worker before it could start, forever. Here a `sitecustomize` on the workers' path holds each worker
process (and only those: they are the ones started with `--multiprocessing-fork`) for eight seconds
before it imports anything, which is what a slow start looks like from the supervisor.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from ecolabel_registry.settings import Settings
from tests.registry.conftest import ADMIN_TOKEN, LOG_ORIGIN
from tests.registry.live import free_port, server_environment

SLOW_START_S = 8
DEADLINE_S = 90

_SLOW_WORKERS = f"""
import sys, time
if "--multiprocessing-fork" in sys.argv:
    time.sleep({SLOW_START_S})
"""


def test_two_workers_that_start_slowly_are_kept_and_serve(postgres_database: Any, tmp_path: Path) -> None:
    postgres_database.reset()
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_SLOW_WORKERS)
    settings = Settings(
        database_url=postgres_database.url,
        signing_key_path=tmp_path / "signing-key.pem",
        admin_token_path=tmp_path / "admin-token",
        admin_token=ADMIN_TOKEN,
        log_origin=LOG_ORIGIN,
    )
    env = server_environment(settings)
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [env.get("PYTHONPATH")])])
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ecolabel_registry.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        answered = _healthy(f"http://127.0.0.1:{port}", process)
        output = log.read_text(errors="replace")
        assert answered, f"no worker answered /healthz within {DEADLINE_S} s:\n{output[-4000:]}"
        assert "died" not in output, output[-4000:]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _healthy(url: str, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return False
