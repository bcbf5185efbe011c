"""Status proofs through the API, on SQLite and PostgreSQL: the latest event as of a checkpoint.

With the map on, each transaction that logs a certificate or a status event ends with a `status_map`
leaf, and `GET /v1/certificates/{id}/status-proof` answers against the checkpoint that ends with it.
A client checks the answer with the registry's key alone; a table edited behind the registry's back
makes the registry refuse to answer rather than serve a proof that misleads.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from ecolabel_registry.db.engine import build_engine, write_connection
from ecolabel_registry.settings import Settings
from ecolabel_registry.status_map import repository as map_repository
from ecolabel_registry.status_map import service as status_map
from tests.registry.factories import Certifier, certificate_id, certifier
from tests.registry.live import live_servers
from verification.cli import app as verify_cli
from verification.client.monitor import DocumentKind
from verification.errors import ProofInvalid
from verification.note import NoteVerifier
from verification.policy import Policy
from verification.status_map import ChainHeadValue
from verification.status_proof import StatusProof, verify_status_proof


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "blue-angel")


def _enable(settings: Settings) -> int:
    receipt = status_map.enable_with(settings)
    assert receipt is not None
    return receipt.leaf_index


def _policy(client: TestClient) -> Policy:
    vkey = client.get("/.well-known/ecolabel-registry").json()["checkpoint_verifier_key"]
    return Policy.no_witnesses(NoteVerifier.from_string(vkey))


def _proof(client: TestClient, certificate: str) -> dict[str, Any]:
    response = client.get(f"/v1/certificates/{certificate}/status-proof")
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_the_map_is_off_until_enabled(client: TestClient) -> None:
    response = client.get(f"/v1/certificates/{'ab' * 32}/status-proof")
    assert response.status_code == 404
    assert response.json()["code"] == "STATUS_MAP_OFF"


def test_proofs_follow_certificates_and_events(client: TestClient, body: Certifier, settings: Settings) -> None:
    before = body.credential("DE-UZ-198/0001")
    client.post("/v1/certificates", json={"credential": before}).raise_for_status()
    first_map_leaf = _enable(settings)  # built from the tables: the certificate logged before it is in
    policy = _policy(client)
    old = certificate_id(before)
    result = verify_status_proof(StatusProof.from_json(_proof(client, old)), policy)
    assert result.checkpoint.tree_size == first_map_leaf + 1
    assert result.head is not None
    assert result.head.sequence == 0

    after = body.credential("DE-UZ-198/0002")
    receipt = client.post("/v1/certificates", json={"credential": after}).json()["receipt"]
    new = certificate_id(after)
    answer = _proof(client, new)
    assert answer["map_leaf"]["leaf_index"] == receipt["leaf_index"] + 1  # the map leaf follows the certificate
    verify_status_proof(StatusProof.from_json(answer), policy)

    event = body.status_event(old, 1, old, "suspended", effectiveAt="2025-03-01T00:00:00Z")
    logged = client.post(f"/v1/certificates/{old}/events", json={"event": event})
    assert logged.status_code == 201, logged.text
    event_leaf = logged.json()["receipt"]["leaf_index"]
    result = verify_status_proof(StatusProof.from_json(_proof(client, old)), policy)
    assert (
        result.head == ChainHeadValue(result.head.certificate_leaf, 1, _sha(event), event_leaf)
        if result.head
        else False
    )
    assert result.checkpoint.tree_size == event_leaf + 2

    unknown = "cd" * 32
    absent = verify_status_proof(StatusProof.from_json(_proof(client, unknown)), policy)
    assert absent.head is None
    assert absent.map_root.entries == 2


def test_the_receipts_and_the_monitor_see_the_map_leaves(
    client: TestClient, body: Certifier, settings: Settings
) -> None:
    _enable(settings)
    token = body.credential("DE-UZ-198/0003")
    receipt = client.post("/v1/certificates", json={"credential": token}).json()["receipt"]
    entries = client.get("/v1/log/entries", params={"start": receipt["leaf_index"], "limit": 2})
    kinds = [entry["kind"] for entry in entries.json()["entries"]]
    assert kinds == [DocumentKind.CERTIFICATE.value, DocumentKind.STATUS_MAP.value]


def test_an_older_head_served_by_a_dishonest_registry_is_refused(
    client: TestClient, body: Certifier, settings: Settings
) -> None:
    _enable(settings)
    token = body.credential("DE-UZ-198/0004")
    client.post("/v1/certificates", json={"credential": token}).raise_for_status()
    cert = certificate_id(token)
    client.post(
        f"/v1/certificates/{cert}/events", json={"event": body.status_event(cert, 1, cert, "withdrawn")}
    ).raise_for_status()
    answer = _proof(client, cert)
    rolled_back = {**answer, "head": {**answer["head"], "sequence": 0, "head_sha256": cert}}
    rolled_back["head"]["head_leaf"] = rolled_back["head"]["certificate_leaf"]
    with pytest.raises(ProofInvalid):
        verify_status_proof(StatusProof.from_json(rolled_back), _policy(client))


@pytest.mark.parametrize("edit", ["map row", "certificate head"])
def test_an_edited_table_makes_the_registry_refuse_to_answer(
    client: TestClient, body: Certifier, settings: Settings, edit: str
) -> None:
    """An intruder rolls a withdrawn certificate's head back: in the map's rows, or in the certificate's."""
    _enable(settings)
    token = body.credential("DE-UZ-198/0005")
    client.post("/v1/certificates", json={"credential": token}).raise_for_status()
    cert = certificate_id(token)
    client.post(
        f"/v1/certificates/{cert}/events", json={"event": body.status_event(cert, 1, cert, "withdrawn")}
    ).raise_for_status()
    engine = build_engine(settings.database_url, pool_size=1)
    try:
        with write_connection(engine) as connection:
            if edit == "map row":
                nodes = map_repository.nodes_table
                older = hashlib.sha256(b"an older chain head").digest()
                connection.execute(
                    update(nodes).where(nodes.c.leaf_key == bytes.fromhex(cert)).values(value_sha256=older)
                )
            else:
                certificates = map_repository.certificates_table
                connection.execute(
                    update(certificates).where(certificates.c.id == cert).values(event_count=0, last_event_sha256=None)
                )
    finally:
        engine.dispose()
    response = client.get(f"/v1/certificates/{cert}/status-proof")
    assert response.status_code == 500
    assert response.json()["type"].endswith("log-integrity")


def test_the_monitor_follows_a_log_with_status_map_leaves(
    settings: Settings, tmp_path: Path, admin_headers: dict[str, str]
) -> None:
    with live_servers(settings, 1, tmp_path) as (server,), httpx.Client(base_url=server.url) as http:
        body = certifier(http, admin_headers, "blue-angel")
        before = body.credential("DE-UZ-198/0006")
        http.post("/v1/certificates", json={"credential": before}).raise_for_status()
        _enable(settings)
        token = body.credential("DE-UZ-198/0007")
        http.post("/v1/certificates", json={"credential": token}).raise_for_status()
        cert = certificate_id(token)
        event = body.status_event(cert, 1, cert, "suspended")
        http.post(f"/v1/certificates/{cert}/events", json={"event": event}).raise_for_status()
        state = tmp_path / "monitor.json"
        ran = CliRunner().invoke(verify_cli, ["monitor", server.url, "--state", str(state)])
        assert ran.exit_code == 0, ran.output
        audited = CliRunner().invoke(verify_cli, ["audit-status-map", server.url])
        assert audited.exit_code == 0, audited.output
        assert "3 logged roots are right (2 certificates)" in audited.output
        proof = tmp_path / "proof.json"
        proof.write_bytes(http.get(f"/v1/certificates/{cert}/status-proof").content)
        vkey = http.get("/.well-known/ecolabel-registry").json()["checkpoint_verifier_key"]
    checked = CliRunner().invoke(verify_cli, ["status-proof", str(proof), "--certificate", cert, "--key", vkey])
    assert checked.exit_code == 0, checked.output
    assert "the latest status event of certificate" in checked.output


def test_a_root_computed_from_an_edited_map_is_caught_by_the_audit(
    settings: Settings, tmp_path: Path, admin_headers: dict[str, str]
) -> None:
    """An intruder edits a certificate's value in the map's rows; the registry's next write computes
    its root from them and logs it: anyone recomputing the map from the log names that leaf."""
    with live_servers(settings, 1, tmp_path) as (server,), httpx.Client(base_url=server.url) as http:
        body = certifier(http, admin_headers, "blue-angel")
        _enable(settings)
        token = body.credential("DE-UZ-198/0008")
        http.post("/v1/certificates", json={"credential": token}).raise_for_status()
        engine = build_engine(settings.database_url, pool_size=1)
        try:
            with write_connection(engine) as connection:
                nodes = map_repository.nodes_table
                forged = hashlib.sha256(b"a chain head never logged").digest()
                victim = nodes.c.leaf_key == bytes.fromhex(certificate_id(token))
                connection.execute(update(nodes).where(victim).values(value_sha256=forged))
        finally:
            engine.dispose()
        later = http.post("/v1/certificates", json={"credential": body.credential("DE-UZ-198/0009")})
        map_leaf = later.json()["receipt"]["leaf_index"] + 1
        audited = CliRunner().invoke(verify_cli, ["audit-status-map", server.url])
    assert audited.exit_code == 1
    assert "STATUS_MAP_WRONG" in audited.output
    assert f"leaf {map_leaf}:" in audited.output
