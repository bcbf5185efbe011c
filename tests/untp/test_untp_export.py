"""GET /v1/certificates/{id}/untp-dcc: a UNTP Digital Conformity Credential v0.6.0, as JSON or signed."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from tests.registry.factories import Certifier, certificate_id, certifier
from tests.untp.dcc_schema import DCC_0_6_0
from verification.jwk import PublicKey
from verification.jws import verify_compact

VALIDATOR = Draft202012Validator(DCC_0_6_0, format_checker=FormatChecker())


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "eu-ecolabel")


def _issued(client: TestClient, body: Certifier) -> str:
    token = body.credential()
    assert client.post("/v1/certificates", json={"credential": token}).status_code == 201
    return certificate_id(token)


def test_the_export_validates_against_the_dcc_schema_and_maps_the_certificate(
    client: TestClient, body: Certifier
) -> None:
    certificate = _issued(client, body)
    response = client.get(f"/v1/certificates/{certificate}/untp-dcc")
    assert response.status_code == 200
    dcc: dict[str, Any] = response.json()
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in VALIDATOR.iter_errors(dcc)]
    assert errors == []
    subject = dcc["credentialSubject"]
    assert dcc["issuer"]["id"] == "did:web:registry.test"
    assert subject["scope"]["issuingParty"]["id"] == "did:web:registry.test:programmes:eu-ecolabel"
    assert subject["issuedToParty"] == {
        "id": "https://lei.info/5493001KJTIIGC8Y1R12",
        "name": "Vernici Verdi S.p.A.",
        "registeredId": "5493001KJTIIGC8Y1R12",
    }
    (assessment,) = subject["assessment"]
    assert assessment["assessedProduct"][0]["product"]["id"] == "https://id.gs1.org/01/04006381333931"
    assert assessment["referenceStandard"]["name"] == "2014/312/EU version 1"
    assert assessment["conformance"] is True
    assert subject["conformityCertificate"]["hashDigest"] == certificate
    assert dcc["validUntil"].startswith("2027-12-31T00:00:00")


def test_a_suspended_certificate_does_not_conform(client: TestClient, body: Certifier) -> None:
    certificate = _issued(client, body)
    event = body.status_event(certificate, 1, certificate, "suspended")
    assert client.post(f"/v1/certificates/{certificate}/events", json={"event": event}).status_code == 201
    dcc = client.get(f"/v1/certificates/{certificate}/untp-dcc").json()
    assert dcc["credentialSubject"]["assessment"][0]["conformance"] is False
    assert VALIDATOR.is_valid(dcc)


def test_the_signed_export_is_the_registrys_vc_jwt(client: TestClient, body: Certifier) -> None:
    certificate = _issued(client, body)
    token = client.get(f"/v1/certificates/{certificate}/untp-dcc", headers={"accept": "application/vc+jwt"}).text
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    document = client.get("/.well-known/did.json").json()
    (method,) = document["verificationMethod"]
    assert header["kid"] == method["id"]
    key = PublicKey(kid=header["kid"], raw=base64.urlsafe_b64decode(method["publicKeyJwk"]["x"] + "="))
    payload = json.loads(verify_compact(token, key, expected_typ="vc+jwt").payload)
    assert payload["iss"] == payload["issuer"]["id"] == "did:web:registry.test"
    assert VALIDATOR.is_valid(payload)


def test_an_unknown_certificate_has_no_export(client: TestClient) -> None:
    assert client.get(f"/v1/certificates/{'0' * 64}/untp-dcc").status_code == 404
