"""The registry fixtures (an app on a fresh SQLite and PostgreSQL database each) are the service's own."""

from tests.registry.conftest import admin_headers, client, settings  # noqa: F401  (pytest finds fixtures by name)
