"""Sixteen certifier clients, two `ecolabel-registry serve` processes, one PostgreSQL: nothing lost or doubled.

Each client submits its certificates in batches and then a signed status event for each one, spread over
both processes. Afterwards every acknowledged write is in the log exactly once, the log has no gap, every
receipt verifies offline and every checkpoint any client saw is a prefix of the final log.

`make test` runs 960 certificates (and as many events); the issue's configuration, 20,000 certificates,
runs with `ECOLABEL_RELIABILITY_SCALE=large` (see docs/TESTING.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from ecolabel_registry.settings import Settings
from tests.registry.factories import Certifier
from tests.registry.live import LiveServer, live_servers
from tests.reliability import ingestion
from tests.reliability.reporting import REPORT_KEY

LARGE = os.environ.get("ECOLABEL_RELIABILITY_SCALE") == "large"
SERVERS = 2
CLIENTS = 16
PROGRAMMES = 4  # several clients per programme: they contend for its licences' rows as well as the log head
CERTIFICATES = 20_000 if LARGE else 960
BATCH = 50 if LARGE else 20


@pytest.fixture
def servers(settings: Settings, tmp_path: Path) -> Iterator[list[LiveServer]]:
    with live_servers(settings, SERVERS, tmp_path) as started:
        yield started


def _client(number: int, server: LiveServer, body: Certifier, ledger: ingestion.Ledger) -> None:
    per_client = CERTIFICATES // CLIENTS
    tokens = [body.credential(f"C{number:02d}/{n:06d}") for n in range(per_client)]
    with httpx.Client(base_url=server.url, timeout=120) as http:
        for start in range(0, per_client, BATCH):
            for cert in ingestion.submit_batch(http, ledger, tokens[start : start + BATCH]):
                ingestion.suspend(http, ledger, body, cert)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_sixteen_clients_on_two_processes_lose_and_double_nothing(
    servers: list[LiveServer],
    admin_headers: dict[str, str],
    engine: Engine,
    record_property: Callable[[str, Any], None],
) -> None:
    verifier = ingestion.registry_verifier(servers[0].url)
    bodies = ingestion.register_programmes(servers[0].url, admin_headers, PROGRAMMES, "concurrent")
    before = ingestion.current_checkpoint(servers[1].url, verifier)
    ledger = ingestion.Ledger()
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [
            pool.submit(_client, n, servers[n % SERVERS], bodies[n % PROGRAMMES], ledger) for n in range(CLIENTS)
        ]
        for future in futures:
            future.result()
    after = ingestion.current_checkpoint(servers[0].url, verifier)

    assert len(ledger.writes) == 2 * CERTIFICATES
    size = ingestion.check_log_is_gap_free(engine)
    assert size == after.tree_size == before.tree_size + 2 * CERTIFICATES
    ingestion.check_acknowledged_exactly_once(engine, ledger.writes)
    ingestion.check_events_stored_once(engine, CERTIFICATES)
    roots = ingestion.check_receipts(ledger.writes, verifier)
    roots[before.tree_size] = before.root_hash
    roots[after.tree_size] = after.root_hash
    ingestion.check_checkpoints_are_prefixes(engine, roots)
    ingestion.check_served_consistency(servers[1].url, before, after)
    record_property(
        REPORT_KEY,
        {
            "servers": SERVERS,
            "clients": CLIENTS,
            "certificates": CERTIFICATES,
            "acknowledged_writes": len(ledger.writes),
            "checkpoints_seen": len(roots),
            "throttled": ledger.throttled,
        },
    )
