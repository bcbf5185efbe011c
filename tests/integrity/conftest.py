"""The registry fixtures (an app on a fresh SQLite and PostgreSQL database each) are the service's own;
the demo world's are the demo tests'."""

import pytest

from ecolabel_registry.demo.spec import World, load_world
from tests.demo.conftest import context  # noqa: F401  (pytest finds fixtures by name)
from tests.registry.conftest import admin_headers, client, settings  # noqa: F401


@pytest.fixture(scope="session")
def demo_world() -> World:
    return load_world()
