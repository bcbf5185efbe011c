"""did:web DID documents: a standard verifier finds every programme key, and nothing it should not trust."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import Certifier, certifier
from verification.did import DidWeb
from verification.ed25519 import generate_private_key
from verification.errors import SignatureInvalid
from verification.jwk import PublicKey
from verification.jws import verify_compact

DID = "did:web:registry.test:programmes:eu-ecolabel"


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "eu-ecolabel", also_known_as=["did:web:ecolabel.example"])


def _methods(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {method["id"]: method for method in document["verificationMethod"]}


def test_a_programme_document_lists_each_key_as_a_json_web_key(client: TestClient, body: Certifier) -> None:
    response = client.get("/programmes/eu-ecolabel/did.json")
    assert response.status_code == 200
    document = response.json()
    assert document["id"] == DID
    methods = _methods(document)
    signing = methods[f"{DID}#{body.kid}"]
    assert signing["type"] == "JsonWebKey"
    assert signing["controller"] == DID
    assert signing["publicKeyJwk"] == {
        key: value for key, value in PublicKey.from_private_key(body.keys[body.kid]).to_jwk().items() if key != "kid"
    }
    assert f"{DID}#{body.kid}" in document["assertionMethod"]
    assert f"{DID}#{body.root_kid}" in document["capabilityInvocation"]
    assert f"{DID}#{body.root_kid}" not in document["assertionMethod"]
    assert "urn:ecolabel:programme:eu-ecolabel" in document["alsoKnownAs"]
    assert "did:web:ecolabel.example" in document["alsoKnownAs"]
    history = {service["type"]: service["serviceEndpoint"] for service in document["service"]}
    assert history["EcolabelKeyHistory"] == "https://registry.test/v1/programmes/eu-ecolabel/keys"
    entry = client.get(signing["addedInLog"].removeprefix("https://registry.test")).json()
    assert entry["entries"][0]["kind"] == "programme"


def test_a_revoked_key_leaves_the_document_and_a_new_key_joins_it(client: TestClient, body: Certifier) -> None:
    new_key = generate_private_key()
    body.keys["eu-2"] = new_key
    added = body.key_event("add", key=PublicKey.from_private_key(new_key, kid="eu-2").to_jwk())
    assert client.post("/v1/programmes/eu-ecolabel/key-events", json={"event": added}).status_code == 201
    revoked = body.key_event(
        "revoke", kid=body.kid, compromisedSince=datetime.now(UTC).isoformat().replace("+00:00", "Z")
    )
    assert client.post("/v1/programmes/eu-ecolabel/key-events", json={"event": revoked}).status_code == 201
    methods = _methods(client.get("/programmes/eu-ecolabel/did.json").json())
    assert f"{DID}#eu-2" in methods
    assert f"{DID}#{body.kid}" not in methods


def test_a_document_key_that_does_not_match_the_registered_key_fails_verification(
    client: TestClient, body: Certifier
) -> None:
    """What a relying party does with the document: the key it publishes verifies the programme's
    credential, and another key under the same method id does not."""
    token = body.credential()
    methods = _methods(client.get("/programmes/eu-ecolabel/did.json").json())
    published = methods[f"{DID}#{body.kid}"]["publicKeyJwk"]
    verify_compact(token, PublicKey(kid=body.kid, raw=_raw(published)))
    impostor = PublicKey.from_private_key(generate_private_key(), kid=body.kid)
    with pytest.raises(SignatureInvalid):
        verify_compact(token, impostor)


def _raw(jwk: dict[str, str]) -> bytes:
    return base64.urlsafe_b64decode(jwk["x"] + "=")


def test_the_registry_document_holds_its_key(client: TestClient) -> None:
    document = client.get("/.well-known/did.json").json()
    assert document["id"] == "did:web:registry.test"
    jwks = client.get("/.well-known/ecolabel-registry").json()["jwks"]["keys"][0]
    (method,) = document["verificationMethod"]
    assert method["id"] == f"did:web:registry.test#{jwks['kid']}"
    assert method["publicKeyJwk"]["x"] == jwks["x"]


def test_an_unknown_programme_has_no_document(client: TestClient) -> None:
    response = client.get("/programmes/no-such/did.json")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("url", "registry", "programme_url"),
    [
        (
            "https://registry.example.org",
            "did:web:registry.example.org",
            "https://registry.example.org/programmes/x/did.json",
        ),
        ("https://localhost:8000/", "did:web:localhost%3A8000", "https://localhost:8000/programmes/x/did.json"),
        (
            "https://host.example/ecolabel",
            "did:web:host.example:ecolabel",
            "https://host.example/ecolabel/programmes/x/did.json",
        ),
    ],
)
def test_did_web_names_follow_the_public_url(url: str, registry: str, programme_url: str) -> None:
    names = DidWeb.from_url(url)
    assert names.registry == registry
    assert names.document_url(names.programme("x")) == programme_url
    assert names.programme_of(names.programme("x")) == "x"
    assert names.programme_of("did:web:other.example:programmes:x") is None
