"""The registry fixtures (`client`, `admin_headers`, on SQLite and PostgreSQL) for the UNTP export tests."""

from __future__ import annotations

from tests.registry.conftest import admin_headers, client, settings  # noqa: F401  (re-exported fixtures)
