from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from ecolabel_registry.app import create_app
from ecolabel_registry.settings import Settings


def test_healthz_reports_the_database_it_reached(client: TestClient, database_url: str) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": make_url(database_url).get_backend_name(), "replicas": []}


def test_healthz_is_a_problem_when_the_database_is_unreachable(settings: Settings, database_url: str) -> None:
    url = make_url(database_url)
    unreachable = (
        url.set(database="/nonexistent-directory/registry.sqlite3")
        if url.get_backend_name() == "sqlite"
        else url.set(port=1)
    )
    broken = settings.model_copy(update={"database_url": unreachable.render_as_string(hide_password=False)})
    with TestClient(create_app(broken), raise_server_exceptions=False) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:ecolabel-registry:problem:database-unavailable"
    assert "Traceback" not in response.text
