"""API processes check their own tables at start and periodically, and all of them obey what one found."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ecolabel_registry.settings import Settings
from tests.integrity.sql import intruder_sql
from tests.integrity.world import build
from tests.registry.live import LiveServer, live_servers

pytestmark = pytest.mark.slow

PROBLEM = "urn:ecolabel-registry:problem:integrity-divergence"
PATIENCE_S = 120  # how long to wait for a background check on a loaded machine; not a measurement


def _until(condition: str, servers: list[LiveServer], check: Callable[[LiveServer], bool]) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        if all(check(server) for server in servers):
            return
        time.sleep(0.2)
    raise AssertionError(f"not every server reached: {condition}")


def _verified_size(server: LiveServer) -> int:
    for line in httpx.get(f"{server.url}/metrics").text.splitlines():
        if line.startswith("ecolabel_integrity_verified_tree_size "):
            return int(float(line.split()[1]))
    return -1


def test_every_process_checks_at_start_and_degrades_on_what_any_of_them_finds(
    client: TestClient, admin_headers: dict[str, str], engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    world = build(client, admin_headers)
    size = client.get("/v1/log/checkpoint").json()["tree_size"]
    checking = settings.model_copy(update={"fsck_interval_s": 0.5})
    with live_servers(checking, 2, tmp_path) as servers:
        _until("the check at start", servers, lambda s: _verified_size(s) == size)
        assert all(httpx.get(f"{s.url}/healthz").status_code == 200 for s in servers)

        intruder_sql(
            engine, "UPDATE programme_keys SET compromised_since_us = NULL WHERE kid = :k", k=world.revoked_kid
        )

        _until("degraded", servers, lambda s: httpx.get(f"{s.url}/healthz").status_code == 503)
        for server in servers:
            assert httpx.get(f"{server.url}/healthz").json()["type"] == PROBLEM
            refused = httpx.get(f"{server.url}/v1/verify/certificates/{world.compromised}")
            assert (refused.status_code, refused.json()["type"]) == (503, PROBLEM)
