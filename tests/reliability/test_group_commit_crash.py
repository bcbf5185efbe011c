"""`kill -9` of every server process while groups of single submissions are being committed.

Two `serve` processes on one PostgreSQL database, each with its own sequencer, take single certificate
submissions and status events from sixteen clients. Once a third of the work is acknowledged both
processes are killed with SIGKILL, with groups queued and in flight. After a restart, every request that
was answered 2xx is in the log at its receipt's index exactly once, every receipt verifies, the log is
gap-free and every checkpoint a client saw is a prefix of it, and `ecolabel-registry fsck` finds the
tables equal to a replay of the log.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from ecolabel_registry.settings import Settings
from tests.registry.factories import Certifier, certificate_id
from tests.registry.live import LiveServer, live_servers, server_environment
from tests.reliability import ingestion

SERVERS = 2
CLIENTS = 16
PER_CLIENT = 40
# Bounds a hung server; reaching it fails the test, it is never the thing measured.
PROGRESS_TIMEOUT_S = 300


def _client(number: int, server: LiveServer, body: Certifier, ledger: ingestion.Ledger, stop: threading.Event) -> None:
    """One certificate per request, and a suspension of every third one; stops when the server dies."""
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for n in range(PER_CLIENT):
            if stop.is_set():
                return
            token = body.credential(f"G{number:02d}/{n:04d}")
            try:
                answer = ingestion.post(http, ledger, "/v1/certificates", {"credential": token})
                assert answer.status_code == 201, answer.text
                ledger.acknowledge(token, answer.json()["receipt"])
                if n % 3 == 0:
                    ingestion.suspend(http, ledger, body, certificate_id(token))
            except httpx.TransportError:
                return  # the server was killed: this request was never acknowledged


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_kill_9_of_every_process_mid_group_loses_nothing_acknowledged(
    settings: Settings, admin_headers: dict[str, str], engine: Engine, tmp_path: Path
) -> None:
    ledger, stop = ingestion.Ledger(), threading.Event()
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    with live_servers(settings, SERVERS, tmp_path / "before") as servers:
        verifier = ingestion.registry_verifier(servers[0].url)
        bodies = ingestion.register_programmes(servers[0].url, admin_headers, 2, "group")
        base = ingestion.current_checkpoint(servers[0].url, verifier)
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [
                pool.submit(_client, n, servers[n % SERVERS], bodies[n % 2], ledger, stop) for n in range(CLIENTS)
            ]
            expected = CLIENTS * PER_CLIENT * 4 // 3
            assert ledger.wait_for(expected // 3, timeout=PROGRESS_TIMEOUT_S), "ingestion made no progress"
            seen_before_kill = ingestion.current_checkpoint(servers[1].url, verifier)
            for server in servers:
                server.process.kill()  # SIGKILL: no lifespan shutdown, the queued groups die with it
            for server in servers:
                server.process.wait()
            stop.set()
            for future in futures:
                future.result()
    acknowledged = list(ledger.writes)
    assert len(acknowledged) < expected, "the kill came after the ingestion ended: nothing was tested"
    shared = Counter(write.receipt.checkpoint for write in acknowledged)
    assert max(shared.values()) > 1, "no two requests were committed in one group: grouping was not tested"

    with live_servers(settings, 1, tmp_path / "after") as (server,):
        after = ingestion.current_checkpoint(server.url, verifier)
        ingestion.check_served_consistency(server.url, seen_before_kill, after)
        assert ingestion.check_log_is_gap_free(engine) == after.tree_size >= base.tree_size + len(acknowledged)
        ingestion.check_acknowledged_exactly_once(engine, acknowledged)
        roots = ingestion.check_receipts(acknowledged, verifier)
        roots[seen_before_kill.tree_size] = seen_before_kill.root_hash
        roots[after.tree_size] = after.root_hash
        ingestion.check_checkpoints_are_prefixes(engine, roots)

    fsck = subprocess.run(
        [sys.executable, "-m", "ecolabel_registry.cli", "fsck", "--full", "--replica", str(tmp_path / "replica")],
        env=server_environment(settings),
        capture_output=True,
        text=True,
        timeout=PROGRESS_TIMEOUT_S,
        check=False,
    )
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
