"""`kill -9` of the server in the middle of a bulk ingestion loses nothing it acknowledged.

Four clients stream batches at one server; once a third of the certificates are acknowledged the server is
killed with SIGKILL (no shutdown code runs), then restarted on the same database and key. Every
acknowledged certificate must be there with a verifying receipt, the log must be gap-free and consistent
with the checkpoint seen before the kill, and resubmitting everything must leave each licence once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from ecolabel_registry.settings import Settings
from tests.registry.factories import Certifier, certificate_id
from tests.registry.live import LiveServer, live_servers
from tests.reliability import ingestion
from tests.reliability.reporting import REPORT_KEY

pytestmark = pytest.mark.slow

LARGE = os.environ.get("ECOLABEL_RELIABILITY_SCALE") == "large"
CERTIFICATES = 20_000 if LARGE else 900
CLIENTS = 16 if LARGE else 4
BATCH = 20
# Bounds a hung server; reaching it fails the test, it is never the thing measured.
PROGRESS_TIMEOUT_S = 300


def _ingest(server: LiveServer, tokens: list[str], ledger: ingestion.Ledger, stop: threading.Event) -> None:
    """Submit until done or until the server dies; only answers received count as acknowledged."""
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for start in range(0, len(tokens), BATCH):
            if stop.is_set():
                return
            try:
                ingestion.submit_batch(http, ledger, tokens[start : start + BATCH])
            except httpx.TransportError:
                return  # the server was killed: this batch was never acknowledged


def _kill(server: LiveServer) -> None:
    server.process.kill()  # SIGKILL: no lifespan shutdown, no connection cleanup, no pending flush
    server.process.wait()


def test_kill_9_during_bulk_ingestion_loses_nothing_acknowledged(
    settings: Settings,
    admin_headers: dict[str, str],
    engine: Engine,
    tmp_path: Path,
    record_property: Callable[[str, Any], None],
) -> None:
    ledger = ingestion.Ledger()
    stop = threading.Event()
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    with live_servers(settings, 1, tmp_path / "before") as (server,):
        verifier = ingestion.registry_verifier(server.url)
        (body,) = ingestion.register_programmes(server.url, admin_headers, 1, "crash")
        base = ingestion.current_checkpoint(server.url, verifier).tree_size
        tokens = [body.credential(f"K/{n:06d}") for n in range(CERTIFICATES)]
        shares = [tokens[n::CLIENTS] for n in range(CLIENTS)]
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(_ingest, server, share, ledger, stop) for share in shares]
            assert ledger.wait_for(CERTIFICATES // 3, timeout=PROGRESS_TIMEOUT_S), "ingestion made no progress"
            seen_before_kill = ingestion.current_checkpoint(server.url, verifier)
            _kill(server)
            stop.set()
            for future in futures:
                future.result()
    acknowledged = list(ledger.writes)
    assert len(acknowledged) < CERTIFICATES, "the kill came after the ingestion ended: nothing was tested"

    with live_servers(settings, 1, tmp_path / "after") as (server,):
        after = ingestion.current_checkpoint(server.url, verifier)
        assert after.tree_size - base >= len(acknowledged)
        ingestion.check_served_consistency(server.url, seen_before_kill, after)
        with httpx.Client(base_url=server.url, timeout=60) as http:
            for write in acknowledged:
                cert = certificate_id(write.document.decode())
                assert http.get(f"/v1/certificates/{cert}").status_code == 200, f"acknowledged {cert} is gone"
        ingestion.check_log_is_gap_free(engine)
        ingestion.check_acknowledged_exactly_once(engine, acknowledged)
        roots = ingestion.check_receipts(acknowledged, verifier)
        roots[seen_before_kill.tree_size] = seen_before_kill.root_hash
        roots[after.tree_size] = after.root_hash
        ingestion.check_checkpoints_are_prefixes(engine, roots)

        # The client resumes: what was in flight at the kill was either committed or not; both are fine
        # as long as every licence ends up logged exactly once.
        _resubmit_everything(server, body, tokens)
        assert ingestion.check_log_is_gap_free(engine) == base + CERTIFICATES, "a licence was logged twice or never"
    record_property(
        REPORT_KEY,
        {
            "backend": engine.dialect.name,
            "certificates": CERTIFICATES,
            "acknowledged_before_kill": len(acknowledged),
            "committed_before_kill": after.tree_size - base,
        },
    )


def _resubmit_everything(server: LiveServer, body: Certifier, tokens: list[str]) -> None:
    resumed = ingestion.Ledger()
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for start in range(0, len(tokens), BATCH):
            ingestion.submit_batch(http, resumed, tokens[start : start + BATCH])
    ingestion.check_receipts(resumed.writes, ingestion.registry_verifier(server.url))
