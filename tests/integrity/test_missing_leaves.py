"""A log row deleted from the database is an error wherever the log is read, never a silently shorter answer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.integrity.sql import intruder_sql
from tests.registry.factories import programme_registration

LOG_INTEGRITY = "urn:ecolabel-registry:problem:log-integrity"


@pytest.fixture
def seven_leaves(client: TestClient, admin_headers: dict[str, str]) -> None:
    for _ in range(7):
        body = programme_registration().body
        response = client.post(
            "/v1/programmes", content=body, headers={**admin_headers, "content-type": "application/json"}
        )
        assert response.status_code == 201, response.text


@pytest.mark.usefixtures("seven_leaves")
def test_a_deleted_entry_fails_the_entries_page_instead_of_being_skipped(client: TestClient, engine: Engine) -> None:
    assert [e["leaf_index"] for e in client.get("/v1/log/entries", params={"start": 0}).json()["entries"]] == list(
        range(7)
    )
    intruder_sql(engine, "DELETE FROM log_entries WHERE leaf_index = 3")

    page = client.get("/v1/log/entries", params={"start": 0})
    assert page.status_code == 500, page.text
    assert page.json()["type"] == LOG_INTEGRITY
    assert "3" in page.json()["detail"]
    assert client.get("/v1/log/entries", params={"start": 4}).status_code == 200  # the rest is intact


@pytest.mark.usefixtures("seven_leaves")
def test_a_deleted_entry_fails_its_tiles(client: TestClient, engine: Engine) -> None:
    intruder_sql(engine, "DELETE FROM log_entries WHERE leaf_index = 3")
    for path in ("/log/tile/entries/000.p/7", "/log/tile/entries/000.p/5"):
        response = client.get(path)
        assert response.status_code == 500, response.text
        assert response.json()["type"] == LOG_INTEGRITY
    assert client.get("/log/tile/entries/000.p/3").status_code == 200  # the leaves before it are intact


@pytest.mark.usefixtures("seven_leaves")
def test_a_deleted_tree_node_fails_the_proofs(client: TestClient, engine: Engine) -> None:
    intruder_sql(engine, "DELETE FROM log_nodes WHERE level = 0 AND idx = 3")
    for params in ({"leaf_index": 3, "tree_size": 7}, {"leaf_index": 2, "tree_size": 7}):
        response = client.get("/v1/log/proofs/inclusion", params=params)
        assert response.status_code == 500, response.text
        assert response.json()["type"] == LOG_INTEGRITY
    consistency = client.get("/v1/log/proofs/consistency", params={"first": 3, "second": 7})
    assert consistency.status_code == 500, consistency.text
