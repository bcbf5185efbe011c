"""The registry fixtures (`client`, `admin_headers`, `settings`, on SQLite and PostgreSQL), plus `supply`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.registry.conftest import admin_headers, client, settings  # noqa: F401  (re-exported fixtures)
from tests.supply.world import Supply


@pytest.fixture
def supply(client: TestClient, admin_headers: dict[str, str]) -> Supply:  # noqa: F811  (the fixture above)
    return Supply(client, admin_headers)
