"""Root keys alone change a programme's keys; signing keys sign the daily documents (TUF's root/online split).

A stolen signing key must not be able to revoke the owner's keys, add its own, or date a compromise
before a key existed. A threshold of roots authorises each key event (proposed, then approved); the
operator can recover a programme that lost its roots, with a logged document the registry signs.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import JSON_HEADERS, Certifier, certificate_id, certifier, programme_registration
from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey


def _path(body: Certifier) -> str:
    return f"/v1/programmes/{body.programme_id}/key-events"


def _jwk(body: Certifier, kid: str, *, root: bool = False) -> dict[str, str]:
    private = generate_private_key()
    (body.roots if root else body.keys)[kid] = private
    return PublicKey.from_private_key(private, kid=kid).to_jwk()


def _status(client: TestClient, body: Certifier) -> dict[str, tuple[str, str]]:
    keys = client.get(f"/v1/programmes/{body.programme_id}/keys").json()["keys"]
    return {key["kid"]: (key["role"], key["status"]) for key in keys}


def _approve(client: TestClient, body: Certifier, event: str, kid: str) -> dict[str, object]:
    response = client.post(
        f"{_path(body)}/{certificate_id(event)}/approvals", json={"approval": body.key_event_approval(event, kid=kid)}
    )
    return {"status_code": response.status_code, **response.json()}


def test_a_stolen_signing_key_cannot_take_over_the_programme(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = certifier(client, admin_headers, "japan-eco-mark", key_count=2)
    stolen, spare = list(body.keys)
    revoke = body.key_event("revoke", signing_kid=stolen, kid=spare, compromisedSince="1970-01-01T00:00:00Z")
    refused = client.post(_path(body), json={"event": revoke})
    assert (refused.status_code, refused.json()["code"]) == (403, "ROOT_KEY_REQUIRED")
    body.key_events -= 1
    planted = body.key_event("add", signing_kid=stolen, key=_jwk(body, "planted"))
    assert client.post(_path(body), json={"event": planted}).json()["code"] == "ROOT_KEY_REQUIRED"
    body.key_events -= 1
    assert _status(client, body)[spare] == ("signing", "active")
    assert "planted" not in _status(client, body)

    added = client.get(f"/v1/programmes/{body.programme_id}/keys").json()["keys"][0]["valid_from"]
    owner = body.key_event("revoke", kid=stolen, compromisedSince=added)
    applied = client.post(_path(body), json={"event": owner})
    assert (applied.status_code, applied.json()["state"]) == (201, "applied")
    assert _status(client, body)[stolen] == ("signing", "revoked")


def test_a_compromise_cannot_be_dated_before_the_key_existed(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = certifier(client, admin_headers, "japan-eco-mark")
    revoke = body.key_event("revoke", kid=body.kid, compromisedSince="1970-01-01T00:00:00Z")
    refused = client.post(_path(body), json={"event": revoke})
    assert (refused.status_code, refused.json()["code"]) == (422, "COMPROMISE_BEFORE_KEY")


def test_root_keys_sign_no_daily_documents(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = certifier(client, admin_headers, "japan-eco-mark")
    body.kid = body.root_kid
    refused = client.post("/v1/certificates", json={"credential": body.credential("JP/112/0001")})
    assert (refused.status_code, refused.json()["code"]) == (403, "ROOT_KEY_NOT_FOR_DOCUMENTS")
    category = client.post(
        f"/v1/programmes/{body.programme_id}/categories",
        json={"category": body.sign(body.category_payload("045"), "ecolabel-category+jwt")},
    )
    assert category.json()["code"] == "ROOT_KEY_NOT_FOR_DOCUMENTS"


def test_a_threshold_of_roots_authorises_each_key_event(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = certifier(client, admin_headers, "japan-eco-mark", root_count=3, root_threshold=2)
    first, second, _ = list(body.roots)
    add = body.key_event("add", key=_jwk(body, "daily-2"))
    proposed = client.post(_path(body), json={"event": add})
    assert proposed.status_code == 202, proposed.text
    assert (proposed.json()["state"], proposed.json()["approved_by"], proposed.json()["approvals_needed"]) == (
        "pending",
        [first],
        1,
    )
    assert "daily-2" not in _status(client, body)
    assert _approve(client, body, add, first)["code"] == "ALREADY_APPROVED"
    assert _approve(client, body, add, body.kid)["code"] == "ROOT_KEY_REQUIRED"
    applied = _approve(client, body, add, second)
    assert (applied["status_code"], applied["state"]) == (201, "applied")
    assert _status(client, body)["daily-2"] == ("signing", "active")
    body.kid = "daily-2"
    assert client.post("/v1/certificates", json={"credential": body.credential("JP/112/0009")}).status_code == 201


def test_a_proposal_goes_stale_when_another_event_takes_its_sequence(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = certifier(client, admin_headers, "japan-eco-mark", root_count=2, root_threshold=2)
    first, second = list(body.roots)
    one = body.key_event("add", key=_jwk(body, "one"), signing_kid=first)
    body.key_events -= 1
    other = body.key_event("add", key=_jwk(body, "other"), signing_kid=second)
    assert client.post(_path(body), json={"event": one}).status_code == 202
    assert client.post(_path(body), json={"event": other}).status_code == 202
    assert _approve(client, body, other, first)["state"] == "applied"
    stale = _approve(client, body, one, second)
    assert (stale["status_code"], stale["code"]) == (409, "PROPOSAL_STALE")
    assert "one" not in _status(client, body)


def test_roots_rotate_and_never_fall_below_the_threshold(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = certifier(client, admin_headers, "japan-eco-mark", root_count=2, root_threshold=2)
    first, second = list(body.roots)
    below = body.key_event("retire", kid=first)
    refused = client.post(_path(body), json={"event": below})
    assert (refused.status_code, refused.json()["code"]) == (409, "ROOT_THRESHOLD_UNREACHABLE")
    body.key_events -= 1

    add_root = body.key_event("add", key=_jwk(body, "root-3", root=True), role="root")
    client.post(_path(body), json={"event": add_root})
    assert _approve(client, body, add_root, second)["state"] == "applied"
    retire = body.key_event("retire", kid=first, signing_kid=second)
    client.post(_path(body), json={"event": retire})
    assert _approve(client, body, retire, "root-3")["state"] == "applied"
    assert _status(client, body)[first] == ("root", "retired")

    late = body.key_event("add", key=_jwk(body, "late"), signing_kid=first)
    assert client.post(_path(body), json={"event": late}).json()["code"] == "SIGNING_KEY_RETIRED"
    body.key_events -= 1
    lower = body.key_event("threshold", threshold=3, signing_kid=second)
    assert client.post(_path(body), json={"event": lower}).json()["code"] == "ROOT_THRESHOLD_UNREACHABLE"


def test_the_operator_recovers_a_programme_that_lost_its_roots(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = certifier(client, admin_headers, "japan-eco-mark")
    lost = body.root_kid
    recovery = {"root_keys": [_jwk(body, "recovered-root", root=True)], "root_threshold": 1, "reason": "roots lost"}
    path = f"/v1/programmes/{body.programme_id}/recovery"
    assert client.post(path, json=recovery).status_code == 401
    recovered = client.post(path, json=recovery, headers=admin_headers)
    assert recovered.status_code == 201, recovered.text
    assert recovered.json()["receipt"]["kind"] == "programme_recovery"
    assert _status(client, body)[lost] == ("root", "retired")
    body.key_events += 1  # the recovery took the next key-event sequence number

    old = body.key_event("add", key=_jwk(body, "by-lost-root"), signing_kid=lost)
    assert client.post(_path(body), json={"event": old}).json()["code"] == "SIGNING_KEY_RETIRED"
    body.key_events -= 1
    new = body.key_event("add", key=_jwk(body, "by-new-root"), signing_kid="recovered-root")
    assert client.post(_path(body), json={"event": new}).status_code == 201


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"root_keys": []}, None),
        ({"root_threshold": 2}, "ROOT_THRESHOLD_UNREACHABLE"),
        ({"root_threshold": 0}, None),
    ],
    ids=["no-roots", "threshold-above-roots", "zero-threshold"],
)
def test_a_registration_names_reachable_root_keys(
    client: TestClient, admin_headers: dict[str, str], change: dict[str, object], code: str | None
) -> None:
    fixture = programme_registration("japan-eco-mark", **change)
    response = client.post("/v1/programmes", content=fixture.body, headers={**admin_headers, **JSON_HEADERS})
    assert response.status_code == 422
    if code is not None:
        assert response.json()["code"] == code


def test_a_root_and_a_signing_key_never_share_a_kid(client: TestClient, admin_headers: dict[str, str]) -> None:
    fixture = programme_registration("japan-eco-mark")
    fixture.document["root_keys"][0]["kid"] = fixture.document["keys"][0]["kid"]
    response = client.post("/v1/programmes", content=fixture.body, headers={**admin_headers, **JSON_HEADERS})
    assert (response.status_code, response.json()["code"]) == (422, "DUPLICATE_KID")


def test_only_the_operator_registers_a_programme(client: TestClient) -> None:
    fixture = programme_registration("japan-eco-mark")
    for headers in ({}, {"Authorization": "Bearer not-the-admin-token-0123456789abcdef"}):
        response = client.post("/v1/programmes", content=fixture.body, headers={**headers, **JSON_HEADERS})
        assert (response.status_code, response.json()["type"]) == (401, "urn:ecolabel-registry:problem:unauthorized")
    assert client.get("/v1/programmes/japan-eco-mark").status_code == 404
