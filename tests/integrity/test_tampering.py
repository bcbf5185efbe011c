"""Tables edited behind the registry's back, as an intruder with database access would: the log is left
untouched, so only a comparison with a replay of the log can see it. Each scenario: `fsck` names the row,
`/healthz` degrades, and no decision is signed until the operator's clean `fsck` clears it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from ecolabel_registry.cli import app as registry_cli
from ecolabel_registry.integrity import check as checks
from ecolabel_registry.integrity.divergence import Divergence
from ecolabel_registry.settings import Settings
from ecolabel_registry.signing_key import load_or_create_signing_key
from tests.integrity.sql import intruder_sql as _sql
from tests.integrity.world import World, build
from tests.registry.conftest import ADMIN_TOKEN
from verification.leaf import DocumentKind, entry_leaf_hash

PROBLEM = "urn:ecolabel-registry:problem:integrity-divergence"


@dataclass
class Checker:
    engine: Engine
    settings: Settings
    replica: Path

    def run(self, *, operator: bool = True) -> Divergence | None:
        key = load_or_create_signing_key(self.settings.signing_key_path)
        return checks.run(self.engine, self.settings, key, replica=self.replica, operator=operator).divergence


@pytest.fixture
def checker(engine: Engine, settings: Settings, tmp_path: Path) -> Checker:
    return Checker(engine, settings, tmp_path / "replica.sqlite3")


@pytest.fixture
def world(client: TestClient, admin_headers: dict[str, str]) -> World:
    return build(client, admin_headers)


def _leaf_of(engine: Engine, certificate: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT leaf_index FROM certificates WHERE id = :c"), {"c": certificate}
            ).scalar_one()
        )


def _delete_withdrawal(engine: Engine, world: World) -> tuple[str, str]:
    _sql(engine, "DELETE FROM certificate_events WHERE certificate_id = :c", c=world.withdrawn)
    _sql(
        engine,
        "UPDATE certificates SET lifecycle = 'active', event_count = 0, last_event_sha256 = NULL WHERE id = :c",
        c=world.withdrawn,
    )
    return "certificates", world.withdrawn


def _unrevoke_key(engine: Engine, world: World) -> tuple[str, str]:
    _sql(
        engine,
        "UPDATE programme_keys SET compromised_since_us = NULL, ended_us = NULL WHERE kid = :k",
        k=world.revoked_kid,
    )
    return "programme_keys", f"cec/{world.revoked_kid}"


def _swap_document(engine: Engine, world: World) -> tuple[str, str]:
    """The active licence's leaf now holds the withdrawn licence's credential, every hash recomputed."""
    leaf, other = _leaf_of(engine, world.active), _leaf_of(engine, world.withdrawn)
    with engine.connect() as connection:
        document = bytes(
            connection.execute(
                text("SELECT document FROM log_entries WHERE leaf_index = :i"), {"i": other}
            ).scalar_one()
        )
        logged_us = int(
            connection.execute(
                text("SELECT integrated_us FROM log_entries WHERE leaf_index = :i"), {"i": leaf}
            ).scalar_one()
        )
    leaf_hash = entry_leaf_hash(DocumentKind.CERTIFICATE, logged_us, document)
    _sql(
        engine,
        "UPDATE log_entries SET document = :d, document_sha256 = :s, leaf_hash = :h WHERE leaf_index = :i",
        d=document,
        s=hashlib.sha256(document).digest(),
        h=leaf_hash,
        i=leaf,
    )
    _sql(engine, "UPDATE log_nodes SET hash = :h WHERE level = 0 AND idx = :i", h=leaf_hash, i=leaf)
    return "log_entries", str(leaf)


def _delete_log_row(engine: Engine, world: World) -> tuple[str, str]:
    leaf = _leaf_of(engine, world.active)
    _sql(engine, "DELETE FROM log_entries WHERE leaf_index = :i", i=leaf)
    return "log_entries", str(leaf)


def _edit_agreement_event(engine: Engine, world: World) -> tuple[str, str]:
    _sql(
        engine,
        "UPDATE agreement_events SET effective_us = effective_us + 86400000000000 WHERE agreement_id = :a",
        a=world.agreement,
    )
    return "agreement_events", f"{world.agreement}/1"


def _plant_certificate(engine: Engine, world: World) -> tuple[str, str]:
    """A licence the programme never issued, answered as valid: a row with no leaf of its own."""
    planted = "f" * 64
    _sql(
        engine,
        "INSERT INTO certificates (id, programme_id, licence_number, category_code, criteria_version, holder_name,"
        " holder_country, valid_from_us, valid_until_us, signing_kid, leaf_index, integrated_us, event_count,"
        " lifecycle, markets) SELECT :planted, programme_id, 'PLANTED-1', category_code, criteria_version,"
        " holder_name, holder_country, valid_from_us, valid_until_us, signing_kid, 999999, integrated_us, 0,"
        " 'active', markets FROM certificates WHERE id = :c",
        planted=planted,
        c=world.active,
    )
    return "certificates", planted


Tampering = Callable[[Engine, World], tuple[str, str]]
SCENARIOS: dict[str, Tampering] = {
    "status row deleted": _delete_withdrawal,
    "key un-revoked": _unrevoke_key,
    "document swapped with recomputed hashes": _swap_document,
    "log row deleted": _delete_log_row,
    "agreement event edited": _edit_agreement_event,
    "certificate planted": _plant_certificate,
}


def _refused(response: object) -> None:
    assert getattr(response, "status_code", None) == 503, getattr(response, "text", response)
    assert response.json()["type"] == PROBLEM  # type: ignore[attr-defined]  # an httpx response


@pytest.mark.parametrize("scenario", SCENARIOS, ids=list(SCENARIOS))
@pytest.mark.parametrize("replica_seen", [True, False], ids=["incremental", "full"])
def test_fsck_names_the_tampering_and_the_registry_stops_signing(
    client: TestClient, world: World, checker: Checker, scenario: str, replica_seen: bool
) -> None:
    if replica_seen:  # the replica already holds the untouched state: the incremental check compares
        assert checker.run() is None
    assert client.get("/healthz").status_code == 200

    table, key = SCENARIOS[scenario](checker.engine, world)
    found = checker.run(operator=False)

    assert found is not None, "the tampering went unnoticed"
    assert (found.table, found.key) == (table, key), found
    _refused(client.get("/healthz"))
    assert client.get("/healthz").json()["divergence"]["table"] == table
    _refused(client.get(f"/v1/verify/certificates/{world.active}"))
    eligibility = {"requirement": {"accepted": [{"programme": "cec"}]}, "items": [{"certificate_id": world.active}]}
    _refused(client.post("/v1/verify/eligibility", json=eligibility))
    assert "ecolabel_integrity_divergence 1.0" in client.get("/metrics").text


def _cli(settings: Settings, *arguments: str) -> tuple[int, str]:
    environment = {
        "ECOLABEL_DATABASE_URL": settings.database_url,
        "ECOLABEL_SIGNING_KEY_PATH": str(settings.signing_key_path),
        "ECOLABEL_ADMIN_TOKEN_PATH": str(settings.admin_token_path),
        "ECOLABEL_LOG_ORIGIN": settings.log_origin,
        "ECOLABEL_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    result = CliRunner().invoke(registry_cli, ["fsck", *arguments], env=environment)
    return result.exit_code, result.output


def test_only_the_operators_clean_fsck_lifts_a_divergence(client: TestClient, world: World, checker: Checker) -> None:
    engine, settings, replica = checker.engine, checker.settings, checker.replica
    with engine.connect() as connection:
        kept = connection.execute(
            text("SELECT compromised_since_us, ended_us FROM programme_keys WHERE kid = :k"), {"k": world.revoked_kid}
        ).one()
    _unrevoke_key(engine, world)

    code, output = _cli(settings, "--replica", str(replica))
    assert code == 1, output
    assert "programme_keys" in output
    _refused(client.get("/healthz"))

    _sql(
        engine,
        "UPDATE programme_keys SET compromised_since_us = :c, ended_us = :e WHERE kid = :k",
        c=kept[0],
        e=kept[1],
        k=world.revoked_kid,
    )
    assert checker.run(operator=False) is None  # a server's own check finds it clean: still degraded
    _refused(client.get("/healthz"))

    code, output = _cli(settings, "--replica", str(replica), "--full")
    assert code == 0, output
    assert client.get("/healthz").status_code == 200
    verified = client.get(f"/v1/verify/certificates/{world.compromised}")
    assert verified.status_code == 200, verified.text
    assert verified.json()["decision"] == "not_valid"


def test_a_replica_of_another_log_is_started_afresh_not_reported(client: TestClient, checker: Checker) -> None:
    """A replica file left by another registry (a copied `var/`, a restored machine) is no evidence."""
    assert checker.run() is None
    with closing(sqlite3.connect(checker.replica)) as raw, raw:
        raw.execute("UPDATE log_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 0")
    assert checker.run(operator=False) is None
    assert client.get("/healthz").status_code == 200
