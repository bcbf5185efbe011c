"""The published JSON Schemas are the committed ones, and they agree with the validator on samples."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from ecolabel_registry.api.schemas import PAYLOADS, payload_schema
from tests.registry.factories import Certifier
from verification.payloads import EcoLabelCertificate

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "schemas"


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_served_schema_equals_the_committed_file(client: TestClient, name: str) -> None:
    response = client.get(f"/v1/schemas/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    committed = json.loads((COMMITTED / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert response.json() == committed, "run `make openapi` and commit openapi/schemas"


def test_an_unknown_schema_is_not_found(client: TestClient) -> None:
    assert client.get("/v1/schemas/nothing").status_code == 404


def _sample() -> Certifier:
    return Certifier(programme_id="eu-ecolabel", keys={}, kid="unused")


def test_a_valid_credential_validates_against_the_published_schema() -> None:
    schema = payload_schema("ecolabel-certificate")
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(_sample().credential_payload(), schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(
    "change",
    [
        {"validFrom": 20240101},
        {"issuer": "https://example.org/issuer"},
        {"credentialSubject": {"licenceNumber": "IT/044/005"}},
        {"type": "EcoLabelCertificate"},
    ],
    ids=["numeric-date", "issuer-not-a-programme", "subject-missing-fields", "type-not-a-list"],
)
def test_the_schema_refuses_what_the_validator_refuses(change: dict[str, object]) -> None:
    payload = {**_sample().credential_payload(), **change}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(payload, payload_schema("ecolabel-certificate"), cls=jsonschema.Draft202012Validator)
    with pytest.raises(ValidationError):
        EcoLabelCertificate.model_validate(payload)
