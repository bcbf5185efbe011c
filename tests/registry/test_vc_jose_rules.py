"""VC-JOSE-COSE rules at ingest: JWT claims agree with the credential, DIDs name this registry's keys.

A plain RFC 7519 library reads `iss`, `exp` and `nbf`; the registry reads `issuer`, `validFrom` and
`validUntil`. A credential where the two disagree would be active for one and expired (or someone
else's) for the other, so it is refused (docs/INTEROP.md "JWT claims").
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import Certifier, certifier
from verification.canonical import dumps_canonical
from verification.jws import sign_compact

REGISTRY_DID = "did:web:registry.test"


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "eu-ecolabel")


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _submit(client: TestClient, token: str) -> tuple[int, str]:
    response = client.post("/v1/certificates", json={"credential": token})
    return response.status_code, response.json().get("code", "")


def test_an_iss_naming_another_programme_is_refused(client: TestClient, body: Certifier) -> None:
    token = body.credential(iss="urn:ecolabel:programme:nordic-swan")
    assert _submit(client, token) == (422, "ISS_MISMATCH")


def test_an_exp_before_valid_until_is_refused(client: TestClient, body: Certifier) -> None:
    token = body.credential(exp=_epoch("2020-01-01T00:00:00Z"))
    assert _submit(client, token) == (422, "EXP_MISMATCH")


def test_an_nbf_after_valid_from_is_refused(client: TestClient, body: Certifier) -> None:
    token = body.credential(nbf=_epoch("2030-01-01T00:00:00Z"))
    assert _submit(client, token) == (422, "NBF_MISMATCH")


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_a_numeric_date_that_is_not_a_number_is_refused(client: TestClient, body: Certifier, claim: str) -> None:
    token = body.credential(**{claim: "2027-12-31T00:00:00Z"})
    assert _submit(client, token) == (422, "BAD_NUMERIC_DATE")


def test_claims_that_agree_with_the_credential_are_accepted(client: TestClient, body: Certifier) -> None:
    token = body.credential(
        iss=body.issuer,
        nbf=_epoch("2024-01-01T00:00:00Z"),
        exp=_epoch("2027-12-31T00:00:00Z"),
        iat=_epoch("2024-01-01T00:00:00Z"),
    )
    assert _submit(client, token)[0] == 201


def test_the_issuer_object_form_is_accepted(client: TestClient, body: Certifier) -> None:
    token = body.credential(issuer={"id": body.issuer, "name": "EU Ecolabel"})
    status, _ = _submit(client, token)
    assert status == 201
    certificate = client.get(f"/v1/certificates/{hashlib.sha256(token.encode()).hexdigest()}").json()
    assert certificate["programme_id"] == "eu-ecolabel"


def test_an_issuer_object_with_an_iss_of_another_programme_is_refused(client: TestClient, body: Certifier) -> None:
    token = body.credential(issuer={"id": body.issuer}, iss="urn:ecolabel:programme:nordic-swan")
    assert _submit(client, token) == (422, "ISS_MISMATCH")


def _did_signed(body: Certifier, issuer: str, kid: str, **overrides: object) -> str:
    payload = body.credential_payload(issuer=issuer, **overrides)
    return sign_compact(dumps_canonical(payload), body.keys[body.kid], kid, "vc+jwt")


def test_a_credential_naming_its_key_and_issuer_by_did_is_accepted(client: TestClient, body: Certifier) -> None:
    did = f"{REGISTRY_DID}:programmes:eu-ecolabel"
    token = _did_signed(body, did, f"{did}#{body.kid}", iss=did)
    assert _submit(client, token)[0] == 201


def test_a_did_kid_with_a_urn_issuer_is_accepted(client: TestClient, body: Certifier) -> None:
    did = f"{REGISTRY_DID}:programmes:eu-ecolabel"
    assert _submit(client, _did_signed(body, body.issuer, f"{did}#{body.kid}"))[0] == 201


def test_a_programme_did_on_another_host_is_refused(client: TestClient, body: Certifier) -> None:
    did = "did:web:elsewhere.example:programmes:eu-ecolabel"
    token = _did_signed(body, did, f"{REGISTRY_DID}:programmes:eu-ecolabel#{body.kid}")
    assert _submit(client, token) == (422, "BAD_ISSUER")


def test_a_did_kid_of_another_programme_is_refused(
    client: TestClient, body: Certifier, admin_headers: dict[str, str]
) -> None:
    certifier(client, admin_headers, "nordic-swan")
    token = _did_signed(body, body.issuer, f"{REGISTRY_DID}:programmes:nordic-swan#{body.kid}")
    status, code = _submit(client, token)
    assert (status, code) == (422, "KID_NOT_ISSUER")


def test_a_did_kid_on_another_host_is_refused(client: TestClient, body: Certifier) -> None:
    token = _did_signed(body, body.issuer, f"did:web:elsewhere.example:programmes:eu-ecolabel#{body.kid}")
    assert _submit(client, token) == (422, "KID_NOT_ISSUER")


def test_a_credential_is_accepted_as_an_application_vc_jwt_body(client: TestClient, body: Certifier) -> None:
    token = body.credential()
    response = client.post("/v1/certificates", content=token, headers={"content-type": "application/vc+jwt"})
    assert response.status_code == 201, response.text
    assert response.json()["certificate"]["id"] == hashlib.sha256(token.encode()).hexdigest()


def test_a_forged_vc_jwt_body_is_refused_like_a_json_one(client: TestClient, body: Certifier) -> None:
    header, payload, _signature = body.credential().split(".")
    forged = f"{header}.{payload}.{'A' * 86}"
    response = client.post("/v1/certificates", content=forged, headers={"content-type": "application/vc+jwt"})
    assert response.status_code == 422
    assert response.json()["code"] == "BAD_SIGNATURE"


def test_another_media_type_is_still_refused(client: TestClient, body: Certifier) -> None:
    response = client.post("/v1/certificates", content=body.credential(), headers={"content-type": "text/plain"})
    assert response.status_code == 415


def test_a_stored_credential_is_served_as_its_exact_jws(client: TestClient, body: Certifier) -> None:
    token = body.credential()
    client.post("/v1/certificates", json={"credential": token})
    certificate = hashlib.sha256(token.encode()).hexdigest()
    response = client.get(f"/v1/certificates/{certificate}", headers={"accept": "application/vc+jwt"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vc+jwt"
    assert response.content == token.encode()
    assert client.get(f"/v1/certificates/{certificate}").json()["credential"] == token
