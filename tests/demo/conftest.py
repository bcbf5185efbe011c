"""Fixtures for the demo world: registry settings on each backend, and a small world for quick checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ecolabel_registry.app import build_context
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.demo.spec import World, load_world
from ecolabel_registry.settings import Settings
from tests.registry.conftest import admin_headers, settings  # noqa: F401  (fixtures)

SMALL_PROGRAMMES = ("jea", "sgls")
SMALL_ORGANISATIONS = ("midori", "lion-city", "marina-fitout")


@pytest.fixture
def context(settings: Settings) -> Iterator[RegistryContext]:  # noqa: F811  (the imported fixture)
    built = build_context(settings)
    yield built
    built.engine.dispose()


@pytest.fixture(scope="session")
def world() -> World:
    return load_world()


def small_world(world: World) -> World:
    """Two programmes, their agreement, one supply chain between their licence holders and ~30 licences."""
    data = world.model_dump(mode="json", by_alias=True)
    data["programmes"] = [p for p in data["programmes"] if p["id"] in SMALL_PROGRAMMES]
    for programme in data["programmes"]:
        for category in programme["categories"]:
            category["certificates"] = 3
    data["agreements"] = [a for a in data["agreements"] if set(a["parties"]) <= set(SMALL_PROGRAMMES)]
    data["organisations"] = [o for o in data["organisations"] if o["key"] in SMALL_ORGANISATIONS]
    data["supply_links"] = [s for s in data["supply_links"] if {s["buyer"], s["supplier"]} <= set(SMALL_ORGANISATIONS)]
    data["auditor_grants"] = []
    return World.model_validate(data)


@pytest.fixture
def small(world: World) -> World:
    return small_world(world)


@pytest.fixture
def key_directory(tmp_path: Path) -> Path:
    return tmp_path / "demo-keys"
