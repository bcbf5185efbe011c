"""Over the demo world's programmes, categories and agreements, the compiled graph says what the tables say.

Each method of `recognition.compiled.Compiled` is compared with the query it replaces, and every
recognition answer over the world's agreements is the same from a warm compiled graph as from one
compiled afresh for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ecolabel_registry.agreements import lookup as agreements
from ecolabel_registry.agreements import repository as agreement_rows
from ecolabel_registry.app import build_context, create_app
from ecolabel_registry.db.engine import read_snapshot
from ecolabel_registry.demo.loader import load
from ecolabel_registry.demo.spec import World
from ecolabel_registry.recognition import compiled, repository
from ecolabel_registry.settings import Settings
from tests.recognition.demo_worlds import demo_world

DATE = "2025-06-01T00:00:00Z"


@pytest.fixture
def demo(settings: Settings, tmp_path: Path) -> Iterator[tuple[TestClient, World]]:
    world = demo_world(0)
    context = build_context(settings)
    try:
        load(context, world, tmp_path / "demo-keys", workers=1)
    finally:
        context.engine.dispose()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, world


def _questions(world: World) -> list[tuple[str, str, str, str]]:
    """(programme, category, accepting programme, its category) for each scope mapping, both directions."""
    found: dict[tuple[str, str, str, str], None] = {}
    for agreement in world.agreements:
        for mapping in agreement.scope:
            a, b = mapping.from_, mapping.to
            found[(a.programme, a.category, b.programme, b.category)] = None
            found[(b.programme, b.category, a.programme, a.category)] = None
    return list(found)


def test_the_compiled_graph_says_what_the_tables_say(demo: tuple[TestClient, World], settings: Settings) -> None:
    _, world = demo
    context = build_context(settings)
    try:
        with read_snapshot(context.engine) as connection:
            graph = compiled.compiled(connection)
            assert len(graph.records) == len(world.agreements)
            for programme in world.programme_by_id:
                from_tables = agreements.records(connection, agreement_rows.relevant_to(connection, programme))
                assert graph.relevant_to(programme) == from_tables
            programmes = set(world.programme_by_id)
            assert graph.programmes == programmes
            ids = list(graph.records)
            assert graph.heads_of(ids) == agreements.heads_of(connection, ids)
            codes = {(row.scheme, row.value) for row in connection.execute(select(repository.codes_table))} | {
                ("cpv", "99999999"),
                ("cn_procurement", "A99"),
            }
            asked = codes | {
                ("cpv", value[:8] + suffix) for scheme, value in codes if scheme == "cpv" for suffix in ("", "-0", "-9")
            }
            assert any(graph.categories_with_code(*code) for code in asked)
            for scheme, value in sorted(asked):
                assert graph.categories_with_code(scheme, value) == repository.categories_with_code(
                    connection, scheme, value
                ), (scheme, value)
    finally:
        context.engine.dispose()


def _answers(client: TestClient, world: World) -> list[dict[str, Any]]:
    found = []
    for programme, category, target, code in _questions(world):
        equivalence = client.get(
            "/v1/equivalence",
            params={"programme": programme, "category": category, "accepted": f"{target}:{code}", "date": DATE},
        )
        query = {
            "entity_id": programme,
            "authority_id": target,
            "action": "recognize",
            "resource": code,
            "context": {"category": category, "time": DATE},
        }
        trqp = client.post("/trqp/v2/recognition", json=query)
        assert (equivalence.status_code, trqp.status_code) == (200, 200), (equivalence.text, trqp.text)
        found += [equivalence.json(), {k: v for k, v in trqp.json().items() if k != "time_evaluated"}]
    return found


def test_answers_from_a_warm_graph_equal_answers_compiled_afresh(
    demo: tuple[TestClient, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, world = demo
    warm = _answers(client, world)
    assert {answer["decision"] for answer in warm} >= {"accepted_through_agreement", "not_accepted"}

    def afresh(connection: Any) -> compiled.Compiled:
        return compiled.compile_at(connection, compiled.read_head(connection))

    monkeypatch.setattr(compiled, "compiled", afresh)
    assert _answers(client, world) == warm
