"""Key lifecycle: add, retire and revoke by root-signed key events; judged by log time, never by signer dates."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import Certifier, certificate_id, certifier
from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "japan-eco-mark")


def _add_key(client: TestClient, body: Certifier, kid: str) -> None:
    body.keys[kid] = generate_private_key()
    jwk = PublicKey.from_private_key(body.keys[kid], kid=kid).to_jwk()
    response = client.post(
        f"/v1/programmes/{body.programme_id}/key-events", json={"event": body.key_event("add", key=jwk)}
    )
    assert response.status_code == 201, response.text


def _key_status(client: TestClient, body: Certifier) -> dict[str, str]:
    keys = client.get(f"/v1/programmes/{body.programme_id}/keys").json()["keys"]
    return {key["kid"]: key["status"] for key in keys}


def test_rotation_adds_the_new_key_and_then_the_old_key_is_refused(client: TestClient, body: Certifier) -> None:
    old = body.kid
    _add_key(client, body, "rotated")
    retire = body.key_event("retire", kid=old)
    assert client.post(f"/v1/programmes/{body.programme_id}/key-events", json={"event": retire}).status_code == 201
    assert _key_status(client, body) == {body.root_kid: "active", old: "retired", "rotated": "active"}

    refused = client.post("/v1/certificates", json={"credential": body.credential("JP/112/0001")})
    assert refused.status_code == 403
    assert refused.json()["code"] == "SIGNING_KEY_RETIRED"
    body.kid = "rotated"
    assert client.post("/v1/certificates", json={"credential": body.credential("JP/112/0001")}).status_code == 201


def test_certificates_signed_before_retirement_stay_valid(client: TestClient, body: Certifier) -> None:
    token = body.credential("JP/112/0002")
    client.post("/v1/certificates", json={"credential": token}).raise_for_status()
    old = body.kid
    _add_key(client, body, "next")
    client.post(
        f"/v1/programmes/{body.programme_id}/key-events",
        json={"event": body.key_event("retire", kid=old)},
    ).raise_for_status()
    key_check = client.get(f"/v1/certificates/{certificate_id(token)}").json()["signing_key"]
    assert key_check == {"kid": old, "status": "retired", "valid_for_this_certificate": True, "code": None}


def test_revocation_invalidates_what_was_logged_after_compromise_and_nothing_before(
    client: TestClient, body: Certifier
) -> None:
    before = body.credential("JP/112/0003")
    client.post("/v1/certificates", json={"credential": before}).raise_for_status()
    time.sleep(0.002)  # log time has microsecond resolution; make the two certificates' times differ
    after = body.credential("JP/112/0004")
    client.post("/v1/certificates", json={"credential": after}).raise_for_status()
    compromised_since = client.get(f"/v1/certificates/{certificate_id(after)}").json()["integrated_at"]

    _add_key(client, body, "clean")
    revoke = body.key_event("revoke", kid=body.kid, compromisedSince=compromised_since)
    response = client.post(f"/v1/programmes/{body.programme_id}/key-events", json={"event": revoke})
    assert response.status_code == 201, response.text
    keys = {key["kid"]: key for key in response.json()["keys"]["keys"]}
    assert keys[body.kid]["status"] == "revoked"
    assert keys[body.kid]["compromised_since"] == compromised_since

    kept = client.get(f"/v1/certificates/{certificate_id(before)}").json()["signing_key"]
    lost = client.get(f"/v1/certificates/{certificate_id(after)}").json()["signing_key"]
    assert kept["valid_for_this_certificate"] is True
    assert (lost["valid_for_this_certificate"], lost["code"]) == (False, "SIGNING_KEY_REVOKED")
    refused = client.post("/v1/certificates", json={"credential": body.credential("JP/112/0005")})
    assert refused.json()["code"] == "SIGNING_KEY_REVOKED"


def test_a_compromise_cannot_be_dated_in_the_future(client: TestClient, body: Certifier) -> None:
    _add_key(client, body, "clean")
    revoke = body.key_event("revoke", kid=body.kid, compromisedSince="2099-01-01T00:00:00Z")
    response = client.post(f"/v1/programmes/{body.programme_id}/key-events", json={"event": revoke})
    assert (response.status_code, response.json()["code"]) == (422, "COMPROMISE_IN_FUTURE")


def test_key_events_cannot_be_replayed_or_skip_ahead(client: TestClient, body: Certifier) -> None:
    body.keys["second"] = generate_private_key()
    add = body.key_event("add", key=PublicKey.from_private_key(body.keys["second"], kid="second").to_jwk())
    path = f"/v1/programmes/{body.programme_id}/key-events"
    assert client.post(path, json={"event": add}).status_code == 201
    replay = client.post(path, json={"event": add})
    assert (replay.status_code, replay.json()["code"]) == (409, "EVENT_REPLAYED")
    body.key_events = 5
    skipped = client.post(path, json={"event": body.key_event("retire", kid="second")})
    assert (skipped.status_code, skipped.json()["code"]) == (409, "SEQUENCE_GAP")


def test_the_last_active_key_cannot_be_retired(client: TestClient, body: Certifier) -> None:
    response = client.post(
        f"/v1/programmes/{body.programme_id}/key-events", json={"event": body.key_event("retire", kid=body.kid)}
    )
    assert (response.status_code, response.json()["code"]) == (409, "LAST_ACTIVE_KEY")


def test_another_programme_cannot_change_these_keys(
    client: TestClient, body: Certifier, admin_headers: dict[str, str]
) -> None:
    intruder = certifier(client, admin_headers, "korea-eco-label", category=False)
    jwk = PublicKey.from_private_key(generate_private_key(), kid="planted").to_jwk()
    event = intruder.key_event("add", key=jwk)
    response = client.post(f"/v1/programmes/{body.programme_id}/key-events", json={"event": event})
    assert (response.status_code, response.json()["code"]) == (403, "WRONG_PROGRAMME")
    assert "planted" not in _key_status(client, body)


def test_the_key_history_is_a_jwks_with_validity_periods(client: TestClient, body: Certifier) -> None:
    _add_key(client, body, "second")
    key_set = client.get(f"/v1/programmes/{body.programme_id}/keys").json()
    assert key_set["next_key_event"] == {"sequence": 2}
    keys = key_set["keys"]
    assert sorted((key["kid"], key["role"]) for key in keys) == sorted(
        [(body.root_kid, "root"), (body.kid, "signing"), ("second", "signing")]
    )
    assert key_set["root_threshold"] == 1
    for key in keys:
        assert {"kty", "crv", "x", "kid", "status", "role", "valid_from", "valid_until", "compromised_since"} <= set(
            key
        )
        assert (key["kty"], key["crv"]) == ("OKP", "Ed25519")
