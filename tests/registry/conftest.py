"""Fixtures for the service: settings with their own key and token, and an app on a fresh database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.app import create_app
from ecolabel_registry.settings import Settings
from tests.registry.live import LiveServer, live_servers
from tests.registry.witnessed import registry  # noqa: F401  (a fixture: a registry with two witnesses)

ADMIN_TOKEN = "test-admin-token-0123456789abcdefghijklmnop"
LOG_ORIGIN = "registry.test/log"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        signing_key_path=tmp_path / "registry-key.pem",
        admin_token_path=tmp_path / "admin-token",
        log_origin=LOG_ORIGIN,
        # Servers check their tables against the log only in the tests about that (tests/integrity):
        # elsewhere a check at start would compete for the CPU with what a test measures.
        fsck_interval_s=0,
        fsck_replica_path=tmp_path / "fsck-replica.sqlite3",
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[LiveServer]:
    """One `serve` process on the test's database (tests that need more, or a seeded one, define their own)."""
    with live_servers(settings, 1, tmp_path) as (single,):
        yield single


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as client:
        yield client
