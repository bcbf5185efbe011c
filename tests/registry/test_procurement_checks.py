"""Buyers' checks: one certificate or a catalogue, each answered with a decision that verifies offline."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.registry.factories import Certifier, certificate_id, certifier
from tests.registry.wire import statements_sent
from verification.checkpoint import verify_checkpoint
from verification.decision import CertificateVerification, verify_decision, verify_saved_eligibility
from verification.errors import ProofInvalid, SignatureInvalid
from verification.jwk import PublicKey, parse_public_jwk
from verification.merkle import verify_inclusion
from verification.note import NoteVerifier


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "eu-ecolabel")


def _registry_key(client: TestClient) -> PublicKey:
    return parse_public_jwk(client.get("/.well-known/ecolabel-registry").json()["jwks"]["keys"][0])


def _submit(client: TestClient, token: str) -> str:
    client.post("/v1/certificates", json={"credential": token}).raise_for_status()
    return certificate_id(token)


@pytest.mark.parametrize("checks", [1, 2])
def test_a_certificate_check_carries_its_proofs_and_a_signed_decision(
    client: TestClient, body: Certifier, checks: int
) -> None:
    # On PostgreSQL checks run outside a transaction, the second from one statement (the proof's nodes
    # cached by the first): each must carry a verified proof and decision.
    cert = _submit(client, body.credential("IT/044/005"))
    for _ in range(checks):
        answer = client.get(f"/v1/verify/certificates/{cert}", params={"as_of": "2025-06-01T00:00:00Z"}).json()
    assert (answer["decision"], answer["status"], answer["reasons"]) == ("valid", "active", [])
    assert answer["signature"]["valid"] is True
    assert answer["signing_key"]["valid_for_this_certificate"] is True
    identity = client.get("/.well-known/ecolabel-registry").json()
    checkpoint = verify_checkpoint(
        answer["inclusion"]["checkpoint"], NoteVerifier.from_string(identity["checkpoint_verifier_key"])
    )
    inclusion = answer["inclusion"]
    verify_inclusion(
        inclusion["leaf_index"],
        checkpoint.tree_size,
        base64.b64decode(inclusion["leaf_hash"]),
        [base64.b64decode(node) for node in inclusion["proof"]],
        checkpoint.root_hash,
    )
    decision = verify_decision(answer["signed_decision"], _registry_key(client))
    assert isinstance(decision, CertificateVerification)
    assert (decision.certificate, decision.decision, decision.checkpoint) == (cert, "valid", inclusion["checkpoint"])


def test_a_suspended_certificate_is_not_valid_from_its_suspension(client: TestClient, body: Certifier) -> None:
    cert = _submit(client, body.credential("IT/044/005"))
    event = body.status_event(cert, 1, cert, "suspended", effectiveAt="2025-03-01T00:00:00Z")
    client.post(f"/v1/certificates/{cert}/events", json={"event": event}).raise_for_status()
    before = client.get(f"/v1/verify/certificates/{cert}", params={"as_of": "2025-02-01T00:00:00Z"}).json()
    after = client.get(f"/v1/verify/certificates/{cert}", params={"as_of": "2025-04-01T00:00:00Z"}).json()
    assert before["decision"] == "valid"
    assert (after["decision"], after["reasons"]) == ("not_valid", ["CERTIFICATE_SUSPENDED"])


def test_checks_need_no_transaction_unless_there_are_status_events(client: TestClient, body: Certifier) -> None:
    engine = client.app.state.registry.engine  # type: ignore[attr-defined]
    plain = _submit(client, body.credential("IT/044/005"))
    suspended = _submit(client, body.credential("IT/044/006"))
    event_document = body.status_event(suspended, 1, suspended, "suspended", effectiveAt="2025-03-01T00:00:00Z")
    client.post(f"/v1/certificates/{suspended}/events", json={"event": event_document}).raise_for_status()

    def check(cert: str) -> list[str]:
        with statements_sent(engine) as sent:
            client.get(f"/v1/verify/certificates/{cert}").raise_for_status()
        # pool_pre_ping's empty statement, PostgreSQL only, is not part of the check; nor is the read of the
        # integrity state that refuses decisions after a divergence (at most once a second per process)
        statements = [" ".join(statement.split()).upper() for statement in sent if statement.strip(" ;")]
        return [statement for statement in statements if "FROM INTEGRITY_CHECKS" not in statement]

    def reads(statements: list[str], table: str) -> bool:
        return any(statement.startswith("SELECT") and f"FROM {table.upper()}" in statement for statement in statements)

    first, second = check(plain), check(plain)
    # The certificate, its key and the head in one statement outside any transaction: nothing begins.
    assert reads(first[:1], "certificates")
    assert not any(statement.startswith(("BEGIN", "COMMIT")) for statement in first[:1] + second), (first, second)
    assert reads(first, "log_nodes")  # the proof's nodes: read once ...
    # ... then cached: the whole check is one statement (on PostgreSQL, once the integrity state was read
    # less than a second ago, the read the requests waiting together share: `recognition.reads`)
    assert len(second) == 1, second
    # Events must be read in the same snapshot as the head: the check starts again in one. The one statement
    # that found them ran outside it (on SQLite it may run on the connection the thread keeps for such reads,
    # `db.engine.single_statements`, which this trace does not follow once it is kept).
    sent = check(suspended)
    begin = next(at for at, statement in enumerate(sent) if statement.startswith("BEGIN"))
    attempts, again = sent[:begin], sent[begin:]
    assert len(attempts) <= 1, sent
    assert all(reads([attempt], "certificates") for attempt in attempts), sent
    assert reads(again[1:2], "certificates")
    assert reads(again, "certificate_events")
    assert again[-1] in {"COMMIT", "ROLLBACK"}, again


def test_stored_bytes_altered_after_a_check_fail_the_next_check(client: TestClient, body: Certifier) -> None:
    # The registry remembers which exact bytes already verified (by SHA-256); changed bytes must miss.
    cert = _submit(client, body.credential("IT/044/005"))
    assert client.get(f"/v1/verify/certificates/{cert}").json()["signature"]["valid"] is True
    engine = client.app.state.registry.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        leaf = connection.execute(text("SELECT leaf_index FROM certificates WHERE id = :id"), {"id": cert}).scalar_one()
        stored = bytes(
            connection.execute(text("SELECT document FROM log_entries WHERE leaf_index = :i"), {"i": leaf}).scalar_one()
        )
        # Another valid base64url character at the signature's start: same length, same encoding.
        position = stored.rindex(b".") + 1
        altered = (
            stored[:position] + (b"A" if stored[position : position + 1] != b"A" else b"B") + stored[position + 1 :]
        )
        connection.execute(
            text("UPDATE log_entries SET document = :d WHERE leaf_index = :i"), {"d": altered, "i": leaf}
        )
    answer = client.get(f"/v1/verify/certificates/{cert}").json()
    assert answer["signature"]["valid"] is False
    # The bytes no longer hash to the certificate id: they are not this certificate's credential.
    assert (answer["decision"], answer["reasons"]) == ("not_valid", ["DOCUMENT_ALTERED"])


def test_an_unknown_certificate_is_not_found(client: TestClient) -> None:
    assert client.get(f"/v1/verify/certificates/{'0' * 64}").status_code == 404


def _catalogue(client: TestClient, body: Certifier) -> dict[str, str]:
    payload = body.credential_payload("IT/044/006")
    payload["credentialSubject"] = {
        **payload["credentialSubject"],
        "licenceNumber": "IT/044/006",
        "products": [{"name": "Varnish", "model": "VX-1", "gtin": "96385074"}],
        "markets": ["DE"],
    }
    suspended = _submit(client, body.credential("IT/044/007"))
    event = body.status_event(suspended, 1, suspended, "suspended", effectiveAt="2025-03-01T00:00:00Z")
    client.post(f"/v1/certificates/{suspended}/events", json={"event": event}).raise_for_status()
    return {
        "active": _submit(client, body.credential("IT/044/005")),
        "german": _submit(client, body.sign(payload, "vc+jwt")),
        "suspended": suspended,
    }


def _check(client: TestClient, requirement: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post(
        "/v1/verify/eligibility", json={"requirement": requirement, "date": "2025-06-01T00:00:00Z", "items": items}
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_catalogue_is_checked_item_by_item(client: TestClient, body: Certifier) -> None:
    certs = _catalogue(client, body)
    answer = _check(
        client,
        {"accepted": [{"programme": "eu-ecolabel", "category": "044"}], "markets": ["IT"]},
        [
            {"ref": "line-1", "certificate_id": certs["active"]},
            {"ref": "line-2", "programme": "eu-ecolabel", "licence_number": "IT/044/007"},
            {"ref": "line-3", "gtin": "96385074", "model": "VX-1"},
            {"ref": "line-4", "gtin": "96385074", "model": "OTHER"},
            {"ref": "line-5", "gtin": "4006381333931"},
            {"ref": "line-6", "certificate_id": "f" * 64},
            {"ref": "line-7", "programme": "eu-ecolabel", "licence_number": "IT/999/999"},
            {"ref": "line-8", "gtin": "12345670"},
        ],
    )
    outcome = {r["ref"]: (r["eligible"], r["reasons"]) for r in answer["results"]}
    assert outcome == {
        "line-1": (True, []),
        "line-2": (False, ["CERTIFICATE_SUSPENDED"]),
        "line-3": (False, ["MARKET_NOT_COVERED"]),
        "line-4": (False, ["MODEL_NOT_COVERED"]),
        "line-5": (True, []),
        "line-6": (False, ["UNKNOWN_CERTIFICATE"]),
        "line-7": (False, ["UNKNOWN_LICENCE"]),
        "line-8": (False, ["NO_CERTIFICATE_FOR_GTIN"]),
    }
    line_5 = answer["results"][4]
    assert sorted(c["id"] for c in line_5["certificates"]) == sorted([certs["active"], certs["suspended"]])
    assert (answer["eligible"], answer["not_eligible"]) == (2, 6)


def test_a_cpv_code_finds_the_accepted_labels_through_the_crosswalk(client: TestClient, body: Certifier) -> None:
    certs = _catalogue(client, body)
    answer = _check(client, {"cpv": "44810000"}, [{"certificate_id": certs["active"]}])
    assert answer["results"][0]["eligible"] is True
    assert answer["results"][0]["certificates"][0]["accepted_via"] == "direct"
    unrelated = _check(client, {"cpv": "30213000", "equivalents": False}, [{"certificate_id": certs["active"]}])
    assert unrelated["results"][0]["reasons"] == ["LABEL_NOT_ACCEPTED"]


def test_a_saved_batch_decision_verifies_offline_and_fails_when_one_result_is_altered(
    client: TestClient, body: Certifier
) -> None:
    certs = _catalogue(client, body)
    saved = _check(
        client,
        {"accepted": [{"programme": "eu-ecolabel"}]},
        [{"certificate_id": cert} for cert in certs.values()],
    )
    key = _registry_key(client)
    decision = verify_saved_eligibility(saved, key)
    assert (decision.item_count, decision.eligible_count) == (3, 2)
    assert decision.checkpoint == saved["checkpoint"]

    altered = copy.deepcopy(saved)
    altered["results"][2]["eligible"] = True
    with pytest.raises(ProofInvalid, match="RESULTS_ALTERED"):
        verify_saved_eligibility(altered, key)
    dropped = copy.deepcopy(saved)
    dropped["results"].pop()
    with pytest.raises(ProofInvalid, match="RESULTS_ALTERED"):
        verify_saved_eligibility(dropped, key)
    forged = copy.deepcopy(saved)
    forged["decision"] = saved["decision"][:-6] + ("AAAAAA" if not saved["decision"].endswith("AAAAAA") else "BBBBBB")
    with pytest.raises(SignatureInvalid):
        verify_saved_eligibility(forged, key)


def test_ten_thousand_items_are_answered_in_one_request(client: TestClient, body: Certifier) -> None:
    certs = _catalogue(client, body)
    items = [{"certificate_id": certs["active"]}] * 9_999 + [{"gtin": "4006381333931"}]
    answer = _check(client, {"accepted": [{"programme": "eu-ecolabel"}]}, items)
    assert len(answer["results"]) == 10_000
    assert answer["eligible"] == 10_000
    verify_saved_eligibility(answer, _registry_key(client))


@pytest.mark.parametrize(
    ("request_body", "status"),
    [
        ({"requirement": {}, "items": [{"gtin": "96385074"}]}, 422),
        ({"requirement": {"cpv": "4481"}, "items": [{"gtin": "96385074"}]}, 422),
        ({"requirement": {"cpv": "44810000"}, "items": []}, 422),
        ({"requirement": {"cpv": "44810000"}, "items": [{"gtin": "96385074", "certificate_id": "a" * 64}]}, 422),
        ({"requirement": {"cpv": "44810000"}, "items": [{"licence_number": "X"}]}, 422),
        ({"requirement": {"cpv": "44810000"}, "items": [{"gtin": "96385074"}] * 10_001}, 422),
        ({"requirement": {"cpv": "44810000"}, "date": "2025-01-01T00:00:00", "items": [{"gtin": "96385074"}]}, 422),
    ],
    ids=["no-requirement", "bad-cpv", "no-items", "two-names", "licence-without-programme", "too-many", "naive-date"],
)
def test_bad_eligibility_requests_are_problems(client: TestClient, request_body: dict[str, Any], status: int) -> None:
    response = client.post("/v1/verify/eligibility", json=request_body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
