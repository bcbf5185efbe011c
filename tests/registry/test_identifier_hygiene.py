"""Identifiers in signed documents are compared byte for byte, so they must have one spelling.

The registry never rewrites signed bytes, so it cannot normalise "IT/044/005 " to "IT/044/005": it
refuses any identifier with leading or trailing whitespace, runs of spaces, whitespace other than a
plain space, or invisible characters, with the problem code IDENTIFIER_WHITESPACE, and logs nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import JSON_HEADERS, Certifier, certifier, programme_registration
from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey

UNTIDY = {
    "trailing-space": "IT/044/005 ",
    "leading-space": " IT/044/005",
    "double-space": "IT/044  005",
    "tab": "IT/044/005\t",
    "no-break-space": "IT/044/005\u00a0",
    "ideographic-space": "IT/044\u3000005",
    "zero-width-space": "IT/044/\u200b005",
    "line-break": "IT/044/005\n",
}


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "eu-ecolabel")


def _log_size(client: TestClient) -> int:
    size: int = client.get("/v1/log/checkpoint").json()["tree_size"]
    return size


def _assert_whitespace_problem(response: Any, slug: str = "document-invalid") -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == f"urn:ecolabel-registry:problem:{slug}"
    assert problem["code"] == "IDENTIFIER_WHITESPACE", problem


@pytest.mark.parametrize("licence", list(UNTIDY.values()), ids=list(UNTIDY))
def test_a_licence_number_that_differs_only_by_whitespace_is_refused(
    client: TestClient, body: Certifier, licence: str
) -> None:
    assert client.post("/v1/certificates", json={"credential": body.credential("IT/044/005")}).status_code == 201
    size = _log_size(client)
    _assert_whitespace_problem(client.post("/v1/certificates", json={"credential": body.credential(licence)}))
    batch = client.post("/v1/certificates/batch", json={"credentials": [body.credential(licence)]}).json()
    assert batch["rejected"] == 1
    assert batch["results"][0]["problem"]["code"] == "IDENTIFIER_WHITESPACE"
    assert _log_size(client) == size
    assert len(client.get("/v1/certificates", params={"programme": "eu-ecolabel"}).json()["items"]) == 1


def _with_subject(body: Certifier, path: tuple[str | int, ...], value: str) -> str:
    payload = body.credential_payload("IT/044/099")
    target: Any = payload["credentialSubject"]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body.sign(payload, "vc+jwt")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("category", "code"), "044 "),
        (("category", "criteriaVersion"), " 1"),
        (("products", 0, "model"), "VW-100 "),
        (("products", 0, "gtin"), " 4006381333931"),
    ],
    ids=["category-code", "criteria-version", "product-model", "gtin"],
)
def test_other_identifiers_of_a_credential_are_held_to_the_same_rule(
    client: TestClient, body: Certifier, path: tuple[str | int, ...], value: str
) -> None:
    size = _log_size(client)
    _assert_whitespace_problem(client.post("/v1/certificates", json={"credential": _with_subject(body, path, value)}))
    assert _log_size(client) == size


def test_a_holder_identifier_is_held_to_the_same_rule(client: TestClient, body: Certifier) -> None:
    payload = body.credential_payload("IT/044/098")
    payload["credentialSubject"]["holder"]["identifiers"] = [{"scheme": "NATIONAL", "value": "REG-0042 "}]
    response = client.post("/v1/certificates", json={"credential": body.sign(payload, "vc+jwt")})
    _assert_whitespace_problem(response)


def test_a_category_code_or_criteria_version_is_held_to_the_same_rule(client: TestClient, body: Certifier) -> None:
    for payload in (
        body.category_payload(code="044 "),
        body.category_payload(code="HJ  2536"),
        body.category_payload(version="2\u00a0"),
    ):
        category = body.sign(payload, "ecolabel-category+jwt")
        response = client.post(f"/v1/programmes/{body.programme_id}/categories", json={"category": category})
        _assert_whitespace_problem(response)


def _jwk_with_kid(kid: str) -> dict[str, Any]:
    return {**PublicKey.from_private_key(generate_private_key(), kid="placeholder").to_jwk(), "kid": kid}


def test_a_key_id_is_held_to_the_same_rule(client: TestClient, admin_headers: dict[str, str], body: Certifier) -> None:
    registration = programme_registration("spaced-kid")
    registration.document["keys"] = [_jwk_with_kid("spaced-kid-2026 ")]
    response = client.post("/v1/programmes", content=registration.body, headers={**admin_headers, **JSON_HEADERS})
    _assert_whitespace_problem(response, "validation-failed")  # the operator's registration is not signed
    event = body.key_event("add", key=_jwk_with_kid("eu  2027"))
    response = client.post(f"/v1/programmes/{body.programme_id}/key-events", json={"event": event})
    _assert_whitespace_problem(response)


def test_identifiers_in_logged_supply_chain_bodies_are_held_to_the_same_rule(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    """Supply-chain bodies are logged as received, so they are never normalised either."""
    document = {
        "type": "Organisation",
        "names": {"en": "Spaced Identifier Ltd."},
        "country": "CN",
        "identifiers": [{"scheme": "NATIONAL", "value": "REG-0042 "}],
    }
    response = client.post("/v1/organisations", json=document, headers=admin_headers)
    _assert_whitespace_problem(response, "validation-failed")
