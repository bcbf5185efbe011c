"""A demo world on each backend, served by an app, for the open-data tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.app import build_context, create_app
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.demo.loader import load
from ecolabel_registry.demo.spec import World, load_world
from ecolabel_registry.settings import Settings
from tests.registry.conftest import settings  # noqa: F401  (a fixture)

# Programmes with agreements among them in every form (full, common core, proxy assessment), a few
# certificates per category: enough status histories and recognition paths, quick to load.
PROGRAMMES = ("cec", "jea", "keiti", "sgls", "ecnz", "nordic-swan", "green-seal")
FIRST = ("jea", "sgls")


def world_of(world: World, programmes: tuple[str, ...], per_category: int = 4) -> World:
    data = world.model_dump(mode="json", by_alias=True)
    data["programmes"] = [p for p in data["programmes"] if p["id"] in programmes]
    for programme in data["programmes"]:
        for category in programme["categories"]:
            category["certificates"] = per_category
    data["agreements"] = [a for a in data["agreements"] if set(a["parties"]) <= set(programmes)]
    data["organisations"], data["supply_links"], data["auditor_grants"] = [], [], []
    return World.model_validate(data)


@pytest.fixture(scope="session")
def demo_world() -> World:
    return load_world()


@pytest.fixture
def context(settings: Settings) -> Iterator[RegistryContext]:  # noqa: F811  (the imported fixture)
    built = build_context(settings)
    yield built
    built.engine.dispose()


@pytest.fixture
def loaded(context: RegistryContext, demo_world: World, tmp_path: Path) -> RegistryContext:
    load(context, world_of(demo_world, PROGRAMMES), tmp_path / "demo-keys", workers=1)
    return context


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:  # noqa: F811  (the imported fixture)
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client
