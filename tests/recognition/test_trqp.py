"""Trust Registry Query Protocol v2: requests and answers valid against the upstream JSON Schemas.

The schemas (tests/vectors/trqp, ToIP TSWG, see tests/vectors/PROVENANCE.md) define the requests and
the successful answers only. Errors follow the TRQP v2 HTTPS binding instead: 4xx/5xx with an RFC 7807
Problem Details body (specification/v2/core/https_binding.md and the `ProblemDetails` schema of
specification/v2/bindings/restful/swagger.yaml upstream), which `PROBLEM_DETAILS` below restates.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from tests.recognition import practice
from tests.recognition.practice import World

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "trqp"
PROBLEM_DETAILS: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}
_RFC3339 = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    # jsonschema checks "date-time" only with an optional package installed; this is RFC 3339 §5.6.
    return not isinstance(value, str) or (bool(_RFC3339.match(value)) and bool(datetime.fromisoformat(value)))


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(re.match(r"\A[A-Za-z][A-Za-z0-9+.-]*:\S+\Z", value))


def _validate(instance: Any, schema: str | dict[str, Any]) -> None:
    loaded = (
        json.loads((VECTORS / f"{schema}.schema.json").read_text(encoding="utf-8"))
        if isinstance(schema, str)
        else schema
    )
    jsonschema.Draft202012Validator(loaded, format_checker=FORMATS).validate(instance)


def _ask(client: TestClient, query: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    _validate(body, f"trqp_{query}_request")  # every request these tests send is a valid TRQP request
    response = client.post(f"/trqp/v2/{query}", json=body)
    if response.status_code == 200:
        _validate(response.json(), f"trqp_{query}_response")
    else:
        assert response.headers["content-type"] == "application/problem+json"
        _validate(response.json(), PROBLEM_DETAILS)
    return response.status_code, response.json()


@pytest.fixture
def world(client: TestClient, admin_headers: dict[str, str]) -> World:
    world = practice.build_world(client, admin_headers, ("jea", "sgls"))
    practice.jea_sgls(client, world)
    return world


def test_a_programme_recognised_for_a_category(client: TestClient, world: World) -> None:
    query = {
        "entity_id": "urn:ecolabel:programme:jea",
        "authority_id": "sgls",
        "action": "recognize",
        "resource": "sgls:tile-carpets",
        "context": {"time": "2025-01-01T00:00:00Z", "category": "tile-carpets"},
    }
    status, answer = _ask(client, "recognition", query)
    assert status == 200
    assert answer["recognized"] is True
    assert (answer["entity_id"], answer["authority_id"], answer["resource"]) == (
        "urn:ecolabel:programme:jea",
        "sgls",
        "sgls:tile-carpets",
    )
    assert answer["time_requested"] == "2025-01-01T00:00:00Z"
    assert answer["context"] == query["context"]
    assert answer["decision"] == "accepted_through_agreement"
    assert len(answer["agreements"]) == 1
    assert "SGLS criteria outside the common criteria" in answer["message"]


def test_a_programme_without_a_category_is_recognised_if_any_category_maps(client: TestClient, world: World) -> None:
    query = {"entity_id": "jea", "authority_id": "sgls", "action": "accept-as-equivalent", "resource": "flooring"}
    status, answer = _ask(client, "recognition", {**query, "context": {"time": "2025-01-01T00:00:00Z"}})
    assert (status, answer["recognized"]) == (200, True)
    status, answer = _ask(client, "recognition", query)  # no time: now, and the 2024 agreement is open-ended
    assert (status, answer["recognized"]) == (200, True)
    assert "time_requested" not in answer


def test_not_recognised_is_an_answer_not_an_error(client: TestClient, world: World) -> None:
    backwards = {
        "entity_id": "sgls",
        "authority_id": "jea",
        "action": "recognize",
        "resource": "flooring",
        "context": {"time": "2025-01-01T00:00:00Z"},
    }
    status, answer = _ask(client, "recognition", backwards)
    assert (status, answer["recognized"], answer["reasons"]) == (200, False, ["NO_AGREEMENT"])
    too_early = {**backwards, "entity_id": "jea", "authority_id": "sgls", "context": {"time": "2024-01-01T00:00:00Z"}}
    status, answer = _ask(client, "recognition", too_early)
    assert (status, answer["recognized"], answer["reasons"]) == (200, False, ["AGREEMENT_NOT_IN_FORCE"])


def test_a_certificate_authorized_as_equivalent(client: TestClient, world: World) -> None:
    carpet = world["jea"].certificate(
        client, "JEA-TC-7", "tile-carpets", validFrom="2024-01-01T00:00:00Z", validUntil="2027-01-01T00:00:00Z"
    )
    query = {
        "entity_id": carpet,
        "authority_id": "sgls",
        "action": "accept-as-equivalent",
        "resource": "tile-carpets",
        "context": {"time": "2025-06-01T00:00:00Z", "locator": "tender 2025/17"},
    }
    status, answer = _ask(client, "authorization", query)
    assert (status, answer["authorized"]) == (200, True)
    status, answer = _ask(client, "authorization", {**query, "context": {"time": "2028-01-01T00:00:00Z"}})
    assert (status, answer["authorized"], answer["reasons"]) == (200, False, ["CERTIFICATE_EXPIRED"])
    status, answer = _ask(client, "recognition", {**query, "entity_id": f"urn:ecolabel:certificate:{carpet}"})
    assert (status, answer["recognized"]) == (200, True)


BASE = {"entity_id": "jea", "authority_id": "sgls", "action": "recognize", "resource": "flooring"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"authority_id": "nobody"}, (404, "UNKNOWN_AUTHORITY")),
        ({"authority_id": "did:web:example.org"}, (404, "UNKNOWN_AUTHORITY")),
        ({"entity_id": "nobody"}, (404, "UNKNOWN_ENTITY")),
        ({"entity_id": "0" * 64}, (404, None)),
        ({"action": "issue"}, (404, "UNKNOWN_ACTION")),
        ({"resource": "jea:flooring"}, (400, "RESOURCE_NOT_OF_AUTHORITY")),
        ({"resource": ""}, (400, "BAD_RESOURCE")),
        ({"context": {"time": "2025-01-01T08:00:00+08:00"}}, (400, "BAD_TIME")),
        ({"context": {"time": "yesterday"}}, (400, "BAD_TIME")),
    ],
    ids=[
        "unknown-authority",
        "authority-not-a-programme",
        "unknown-entity",
        "unknown-certificate",
        "unknown-action",
        "resource-of-another-programme",
        "empty-resource",
        "time-not-utc",
        "time-not-rfc3339",
    ],
)
@pytest.mark.parametrize("query", ["recognition", "authorization"])
def test_questions_that_cannot_be_asked_are_problem_details(
    client: TestClient, world: World, query: str, change: dict[str, Any], expected: tuple[int, str | None]
) -> None:
    status, code = expected
    body = {**BASE, **change}
    if change.get("context", {}).get("time") == "yesterday":
        response = client.post(f"/trqp/v2/{query}", json=body)  # not a valid TRQP request: sent unchecked
        answer: dict[str, Any] = response.json()
        assert response.status_code == status
        _validate(answer, PROBLEM_DETAILS)
    else:
        got, answer = _ask(client, query, body)
        assert got == status
    if code is not None:
        assert answer["code"] == code


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b'{"entity_id": "jea", "authority_id": "sgls", "action": "recognize"}', 400, "INVALID_REQUEST"),
        (b'{"entity_id": 7, "authority_id": "sgls", "action": "recognize", "resource": "x"}', 400, "INVALID_REQUEST"),
        (
            json.dumps({**BASE, "context": {"n": 1}}).encode(),
            400,
            "INVALID_REQUEST",
        ),
        (b"[]", 400, "INVALID_REQUEST"),
        (b"{", 400, None),
    ],
    ids=["missing-resource", "entity-not-a-string", "context-value-not-a-string", "not-an-object", "not-json"],
)
def test_malformed_queries_are_400_problem_details(
    client: TestClient, world: World, content: bytes, status: int, code: str | None
) -> None:
    for query in ("recognition", "authorization"):
        response = client.post(f"/trqp/v2/{query}", content=content, headers={"content-type": "application/json"})
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        _validate(response.json(), PROBLEM_DETAILS)
        if code is not None:
            assert response.json()["code"] == code
    wrong_type = client.post("/trqp/v2/recognition", content=b"entity_id=jea", headers={"content-type": "text/plain"})
    assert wrong_type.status_code == 415
    _validate(wrong_type.json(), PROBLEM_DETAILS)


def test_members_the_schema_does_not_name_are_allowed(client: TestClient, world: World) -> None:
    status, answer = _ask(client, "recognition", {**BASE, "nonce": "b7d1", "context": {"time": "2025-01-01T00:00:00Z"}})
    assert (status, answer["recognized"]) == (200, True)
