"""The compiled agreement graph: answered from memory, and never stale across processes.

Two apps on one database stand for two API processes (each has its own engine, so its own compiled
graph): what one appends, the other's next answer shows, and names the checkpoint it judged at.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from ecolabel_registry.app import create_app
from ecolabel_registry.recognition import compiled
from ecolabel_registry.settings import Settings
from tests.recognition.world import Signatory, both_ways, conclude, equivalence, post_event, signatory

compile_at = compiled.compile_at
CEC_AS_JEA = {"programme": "cec", "category": "HJ 2536", "accepted": "jea:No.119", "date": "2025-06-01"}


@pytest.fixture
def other(settings: Settings) -> Iterator[TestClient]:
    """A second API process on the same database."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def cec(client: TestClient, admin_headers: dict[str, str]) -> Signatory:
    body = signatory(client, admin_headers, "cec")
    body.define(client, "HJ 2536", cpv=["30213000"])
    return body


@pytest.fixture
def jea(client: TestClient, admin_headers: dict[str, str]) -> Signatory:
    body = signatory(client, admin_headers, "jea")
    body.define(client, "No.119")
    return body


def _trqp(client: TestClient) -> dict[str, object]:
    query = {
        "entity_id": "cec",
        "authority_id": "jea",
        "action": "recognize",
        "resource": "No.119",
        "context": {"category": "HJ 2536", "time": "2025-06-01T00:00:00Z"},
    }
    response = client.post("/trqp/v2/recognition", json=query)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _tree_size(client: TestClient) -> int:
    return int(client.get("/v1/log/checkpoint").json()["tree_size"])


def test_an_agreement_event_appended_by_another_process_is_seen_at_once(
    client: TestClient, other: TestClient, cec: Signatory, jea: Signatory
) -> None:
    agreement_id = conclude(
        client, cec, [jea], cec.agreement(["cec", "jea"], both_ways("cec", "HJ 2536", "jea", "No.119"))
    )
    first = equivalence(client, **CEC_AS_JEA)
    assert first["decision"] == "accepted_through_agreement"
    assert _trqp(client)["recognized"] is True  # both answers now come from this process's compiled graph

    suspension = jea.event(agreement_id, 1, agreement_id, "suspended", "2025-01-01T00:00:00Z")
    assert post_event(other, agreement_id, suspension)["state"] == "applied"

    after = equivalence(client, **CEC_AS_JEA)
    assert after["decision"] == "not_accepted"
    assert [r["code"] for r in after["reasons"]] == ["AGREEMENT_NOT_IN_FORCE"]
    assert after["judged_at"]["tree_size"] == _tree_size(other) > first["judged_at"]["tree_size"]
    assert _trqp(client)["recognized"] is False
    # The agreement as relied on names the new event chain head, in the answer that still uses it.
    jea_as_cec = {"programme": "jea", "category": "No.119", "accepted": "cec:HJ 2536", "date": "2025-06-01"}
    (head,) = equivalence(client, **jea_as_cec)["agreement_heads"]
    assert head["event_head"]["sequence"] == 1


def test_a_new_agreement_and_category_from_another_process_are_seen_at_once(
    client: TestClient, other: TestClient, admin_headers: dict[str, str], cec: Signatory, jea: Signatory
) -> None:
    assert equivalence(client, **CEC_AS_JEA)["decision"] == "not_accepted"
    by_code = {"programme": "jea", "category": "No.119", "cpv": "30213000-5", "date": "2025-06-01"}
    assert equivalence(client, **by_code)["requirement"]["accepted"] == ["cec:HJ 2536"]

    conclude(other, cec, [jea], cec.agreement(["cec", "jea"], both_ways("cec", "HJ 2536", "jea", "No.119")))
    assert equivalence(client, **CEC_AS_JEA)["decision"] == "accepted_through_agreement"

    jea.define(other, "No.120", cpv=["30213000-5"])
    assert equivalence(client, **by_code)["requirement"]["accepted"] == ["cec:HJ 2536", "jea:No.120"]


def test_a_key_revoked_through_another_process_is_seen_at_once(
    client: TestClient, other: TestClient, cec: Signatory, jea: Signatory
) -> None:
    conclude(client, cec, [jea], cec.agreement(["cec", "jea"], both_ways("cec", "HJ 2536", "jea", "No.119")))
    certificate = cec.certificate(client, "CEC-1", "HJ 2536")
    query = {"entity_id": certificate, "authority_id": "jea", "action": "recognize", "resource": "No.119"}
    before = client.post("/trqp/v2/authorization", json=query).json()
    assert before["authorized"] is True
    assert before["evidence"]["key_head"]["sequence"] == 0

    compromised_since = client.get(f"/v1/certificates/{certificate}").json()["integrated_at"]
    revoke = cec.key_event("revoke", kid=cec.kid, compromisedSince=compromised_since)
    assert other.post("/v1/programmes/cec/key-events", json={"event": revoke}).status_code == 201

    after = client.post("/trqp/v2/authorization", json=query).json()
    assert (after["authorized"], after["reasons"]) == (False, ["SIGNING_KEY_REVOKED"])
    assert after["evidence"]["key_head"]["sequence"] == 1
    assert after["judged_at"]["tree_size"] == _tree_size(other)


def test_a_certificate_from_another_process_moves_the_checkpoint_named_and_keeps_the_graph(
    client: TestClient, other: TestClient, cec: Signatory, jea: Signatory, monkeypatch: pytest.MonkeyPatch
) -> None:
    conclude(client, cec, [jea], cec.agreement(["cec", "jea"], both_ways("cec", "HJ 2536", "jea", "No.119")))
    first, trqp = equivalence(client, **CEC_AS_JEA), _trqp(client)
    assert first["judged_at"] == trqp["judged_at"]
    compiles: list[compiled.Head] = []

    def counted(connection: Connection, head: compiled.Head) -> compiled.Compiled:
        compiles.append(head)
        return compile_at(connection, head)

    monkeypatch.setattr(compiled, "compile_at", counted)

    cec.certificate(other, "CEC-2", "HJ 2536")  # a leaf of a kind the graph does not read

    after, trqp_after = equivalence(client, **CEC_AS_JEA), _trqp(client)
    assert after["judged_at"]["tree_size"] == _tree_size(other) == first["judged_at"]["tree_size"] + 1
    assert after["judged_at"] == trqp_after["judged_at"] != first["judged_at"]
    assert {k: v for k, v in after.items() if k != "judged_at"} == {k: v for k, v in first.items() if k != "judged_at"}
    assert compiles == []  # the checkpoint moved, the head of the kinds the graph reads did not


def test_a_status_event_from_another_process_is_seen_by_the_next_certificate_question(
    client: TestClient, other: TestClient, cec: Signatory, jea: Signatory
) -> None:
    conclude(client, cec, [jea], cec.agreement(["cec", "jea"], both_ways("cec", "HJ 2536", "jea", "No.119")))
    certificate = cec.certificate(client, "CEC-3", "HJ 2536")
    query = {"entity_id": certificate, "authority_id": "jea", "action": "recognize", "resource": "No.119"}
    asked = {"certificate_id": certificate, "accepted": "jea:No.119"}
    for _ in range(2):  # the second answers come from one statement outside a transaction
        assert client.post("/trqp/v2/authorization", json=query).json()["authorized"] is True
        assert equivalence(client, **asked)["decision"] == "accepted_through_agreement"

    suspension = cec.status_event(certificate, 1, certificate, "suspended", effectiveAt="2025-01-01T00:00:00Z")
    assert other.post(f"/v1/certificates/{certificate}/events", json={"event": suspension}).status_code == 201

    after = client.post("/trqp/v2/authorization", json=query).json()
    assert (after["authorized"], after["reasons"]) == (False, ["CERTIFICATE_SUSPENDED"])
    assert after["evidence"]["status_head"]["sequence"] == 1
    assert after["judged_at"]["tree_size"] == _tree_size(other)
    assert equivalence(client, **asked)["reasons"][0]["code"] == "CERTIFICATE_SUSPENDED"
