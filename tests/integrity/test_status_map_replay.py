"""A log with the status map on replays like any other: the `status_map` leaf that ends a certificate's or
a status event's transaction is logged again by that transaction's own write path, the one the operator's
`status-map enable` logged is logged again by `enable`, and the map's tables are compared like the rest."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ecolabel_registry.integrity import check as checks
from ecolabel_registry.settings import Settings
from ecolabel_registry.signing_key import load_or_create_signing_key
from ecolabel_registry.status_map import service as status_map
from tests.integrity.sql import intruder_sql
from tests.registry.factories import Certifier, certificate_id, certifier


def _enable(settings: Settings) -> None:
    assert status_map.enable_with(settings) is not None


def _check(engine: Engine, settings: Settings, replica: Path) -> checks.CheckReport:
    key = load_or_create_signing_key(settings.signing_key_path)
    return checks.run(engine, settings, key, replica=replica, full=True, operator=True)


def _grow(client: TestClient, body: Certifier, licence: str) -> str:
    credential = body.credential(licence)
    answer = client.post("/v1/certificates", json={"credential": credential})
    assert answer.status_code in (200, 201), answer.text
    return certificate_id(credential)


def test_a_log_with_the_map_on_checks_clean_and_an_edited_map_row_is_named(
    client: TestClient, admin_headers: dict[str, str], settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    body = certifier(client, admin_headers, "blue-angel")
    _grow(client, body, "DE-UZ-198/0001")
    _enable(settings)
    certificate = _grow(client, body, "DE-UZ-198/0002")
    event = body.status_event(certificate, 1, certificate, status="suspended")
    posted = client.post(f"/v1/certificates/{certificate}/events", json={"event": event})
    assert posted.status_code == 201, posted.text
    kinds = [entry["kind"] for entry in client.get("/v1/log/entries", params={"start": 0}).json()["entries"]]
    assert kinds.count("status_map") == 3  # enable, then one per transaction that touched a certificate

    report = _check(engine, settings, tmp_path / "replica.sqlite3")
    assert report.divergence is None, report.divergence

    intruder_sql(engine, "UPDATE status_map_state SET entries = entries + 1")
    report = _check(engine, settings, tmp_path / "replica-2.sqlite3")
    assert report.divergence is not None
    assert report.divergence.table == "status_map_state"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM status_map_state")).scalar_one() == 1
