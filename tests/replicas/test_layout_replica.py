"""`ecolabel-registry layout --replica 1`: a hot standby made, used for reads, and dropped on exit."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.replicas.conftest import replica_health, wait_for

ADMIN_TOKEN = "layout-admin-token-0123456789abcdefghijklmnopqrstuvwxyz"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _clusters() -> str:
    return subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True).stdout


def test_the_layout_starts_a_standby_serves_reads_from_it_and_drops_it_on_exit(
    postgres_database: Any, tmp_path: Path
) -> None:
    postgres_database.reset()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOLABEL_")}
    env |= {
        "ECOLABEL_DATABASE_URL": postgres_database.url,
        "ECOLABEL_ADMIN_TOKEN": ADMIN_TOKEN,
        "ECOLABEL_SIGNING_KEY_PATH": str(tmp_path / "registry-key.pem"),
        "ECOLABEL_ADMIN_TOKEN_PATH": str(tmp_path / "admin-token"),
        "ECOLABEL_LOG_FORMAT": "text",
        "PYTHONUNBUFFERED": "1",  # the supervisor's lines reach the log file as they are printed
    }
    port = _free_port()
    command = [sys.executable, "-m", "ecolabel_registry.cli", "layout", "--serve", "1", "--no-worker"]
    command += ["--witnesses", "0", "--replica", "1", "--port", str(port)]
    log = tmp_path / "layout.log"
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: "Ctrl-C stops them all" in log.read_text() or process.poll() is not None, "the layout")
        assert process.poll() is None, log.read_text()
        replica_line = next(line for line in log.read_text().splitlines() if line.strip().startswith("replica"))
        standby_port = int(replica_line.split("127.0.0.1:", 1)[1].split("/", 1)[0])
        assert f"ecolabel_standby_{standby_port}" in _clusters()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as api:
            health = wait_for(lambda: (h := replica_health(api))["in_rotation"] and h, "the standby in rotation")
            assert health["name"].startswith(f"127.0.0.1:{standby_port}/")
            assert api.get("/v1/log/checkpoint").status_code == 200
            served = api.get("/metrics").text
            assert f'ecolabel_database_reads_total{{database="{health["name"]}"}}' in served
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0, log.read_text()
        assert f"ecolabel_standby_{standby_port}" not in _clusters()  # dropped with the layout
    finally:
        if process.poll() is None:  # SIGTERM, so that the layout drops its standby; kill only if it hangs
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
