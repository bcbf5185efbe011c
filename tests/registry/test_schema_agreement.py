"""A credential is accepted exactly when its published JSON Schema says so, apart from the listed checks.

Payloads are drawn from `openapi/schemas/ecolabel-certificate.schema.json` and from mutations of valid
ones, signed with the programme's key and submitted to the real app on both backends. The checks JSON
Schema cannot express are set aside by name, and the names are the table in docs/INTEROP.md §7.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from tests.registry.factories import Certifier, certifier
from tests.registry.payload_mutations import mutations
from tests.registry.schema_agreement import (
    BEYOND_SCHEMA,
    World,
    beyond_schema,
    documented_checks,
    oracle,
    payloads,
    repaired,
    with_licence,
)

NAME = "ecolabel-certificate"


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "eu-ecolabel")


@pytest.fixture
def world(body: Certifier) -> World:
    return World(programme_id=body.programme_id, host="registry.test", category={"code": "044", "criteriaVersion": "1"})


def test_the_checks_set_aside_are_the_documented_ones() -> None:
    assert documented_checks() == list(BEYOND_SCHEMA)


def _agrees(client: TestClient, body: Certifier, world: World, payload: dict[str, Any], seen: set[str]) -> None:
    token = body.sign(payload, "vc+jwt")
    if token in seen:
        return  # the same credential again is a duplicate, not a new decision
    seen.add(token)
    errors = [error.message for error in oracle(NAME).iter_errors(payload)]
    beyond = [] if errors else beyond_schema(payload, world)  # the checks read schema-valid payloads only
    response = client.post("/v1/certificates", json={"credential": token})
    assert response.status_code < 500, response.text
    accepted = response.status_code == 201
    event("accepted" if accepted else f"refused: {', '.join(beyond) or 'schema'}")
    assert accepted == (not errors and not beyond), (payload, errors, beyond, response.text)
    if accepted:
        world.current[payload["credentialSubject"]["licenceNumber"]] = hashlib.sha256(token.encode()).hexdigest()


@settings(
    max_examples=15,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure prints its payload and the answer
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_a_credential_is_accepted_exactly_when_its_schema_allows_it(
    client: TestClient, body: Certifier, world: World, data: st.DataObject
) -> None:
    drawn = data.draw(payloads(NAME), label="from the schema")
    assert oracle(NAME).is_valid(drawn)
    valid = repaired(drawn, world, data.draw)
    seen: set[str] = set()
    _agrees(client, body, world, valid, seen)
    for number in range(3):
        mutated = data.draw(mutations(with_licence(valid, f"m{number}")), label="mutated")
        _agrees(client, body, world, mutated, seen)
