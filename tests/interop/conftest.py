"""The registry fixtures (`settings`, on SQLite and PostgreSQL) for the live walk of the generated client."""

from __future__ import annotations

from tests.registry.conftest import settings  # noqa: F401  (re-exported fixture)
