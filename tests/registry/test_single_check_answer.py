"""The check of one certificate answers the same whichever way its request is handled.

`GET /v1/verify/certificates/{id}` with a well-formed id and no query goes straight to the check;
with a query, or a malformed id, it goes through FastAPI's validation of the declared parameters
(`api/verify.py`). The two must give the same answer: here the same check asked both ways, with the
first answer's own date as the second's `as_of`, agrees byte for byte but for the signed decision,
whose issue time may fall in another second; that decision's header and claims (but `iat`) agree too.
"""

from __future__ import annotations

import base64
import itertools
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.api import verify
from ecolabel_registry.procurement import single
from tests.registry.factories import Certifier, certificate_id, certifier
from verification.decision import verify_decision
from verification.jwk import parse_public_jwk


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "eu-ecolabel")


def _claims(token: str) -> tuple[str, dict[str, Any]]:
    header, payload, _ = token.split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.pop("iat")
    return header, claims


def _certificates(client: TestClient, body: Certifier) -> list[str]:
    tokens = [
        body.credential("IT/044/401"),
        body.credential("IT/044/402", validFrom="2020-01-01T00:00:00Z", validUntil="2021-01-01T00:00:00Z"),
        body.credential("IT/044/403"),
    ]
    for token in tokens:
        client.post("/v1/certificates", json={"credential": token}).raise_for_status()
    ids = [certificate_id(token) for token in tokens]
    # Status events send the check to a read snapshot (`single.NeedsSnapshot`): that way is held too.
    event = body.status_event(ids[2], 1, ids[2], "suspended", effectiveAt="2025-03-01T00:00:00Z")
    client.post(f"/v1/certificates/{ids[2]}/events", json={"event": event}).raise_for_status()
    return ids


def test_a_check_without_a_query_answers_as_the_check_with_its_date(client: TestClient, body: Certifier) -> None:
    registry_key = parse_public_jwk(client.get("/.well-known/ecolabel-registry").json()["jwks"]["keys"][0])
    for cert in _certificates(client, body):
        direct = client.get(f"/v1/verify/certificates/{cert}")
        assert direct.status_code == 200, direct.text
        validated = client.get(f"/v1/verify/certificates/{cert}", params={"as_of": direct.json()["as_of"]})
        assert validated.status_code == 200, validated.text
        assert direct.headers["content-type"] == validated.headers["content-type"] == "application/json"
        one, other = orjson.loads(direct.content), orjson.loads(validated.content)
        signed = one.pop("signed_decision"), other.pop("signed_decision")
        assert orjson.dumps(one) == orjson.dumps(other)  # the same fields, in the same order
        assert list(orjson.loads(direct.content)) == list(orjson.loads(validated.content))
        assert _claims(signed[0]) == _claims(signed[1])
        for token in signed:
            verify_decision(token, registry_key)


@pytest.mark.parametrize(
    "path_id",
    ["A" * 64, "a" * 63, "a" * 65, "a" * 64 + "%0A", "g" * 64],
    ids=["uppercase", "short", "long", "final-newline", "not-hex"],
)
def test_a_malformed_id_is_refused_by_the_declared_validation(client: TestClient, path_id: str) -> None:
    response = client.get(f"/v1/verify/certificates/{path_id}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_an_unknown_well_formed_id_is_not_found_either_way(client: TestClient) -> None:
    for params in ({}, {"as_of": "2025-06-01T00:00:00Z"}):
        response = client.get(f"/v1/verify/certificates/{'0' * 64}", params=params)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"


def test_a_check_from_its_one_read_answers_as_the_check_in_a_connection(
    client: TestClient, body: Certifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check whose integrity state was read less than a second ago reads its row in one statement (on
    PostgreSQL by the read the waiting requests share, on SQLite on the connection the thread keeps) and
    is answered from it (`api.verify`); with that state taken as unread it reads in a `Connection` (on
    PostgreSQL in a thread). Both answer alike, byte for byte but for the decision's `iat`; so does a
    certificate with status events, which that one statement sends to a read snapshot."""
    shared: list[str] = []
    verify_read = single.verify_read

    def counted(*args: Any) -> dict[str, Any] | None:
        answer = verify_read(*args)
        if answer is not None:
            shared.append(args[2])
        return answer

    monkeypatch.setattr(single, "verify_read", counted)
    plain, _, with_events = _certificates(client, body)
    for cert, as_of in itertools.product((plain, with_events), ("2025-06-01T00:00:00Z", "2019-06-01T00:00:00Z")):
        client.get(f"/v1/verify/certificates/{cert}").raise_for_status()  # the integrity state read just now
        shared.clear()
        answers = [client.get(f"/v1/verify/certificates/{cert}", params={"as_of": as_of})]
        assert shared == ([cert] if cert == plain else [])
        with monkeypatch.context() as patch:
            patch.setattr(verify, "require_intact_as_seen", lambda _engine: False)
            answers.append(client.get(f"/v1/verify/certificates/{cert}", params={"as_of": as_of}))
        one, other = (orjson.loads(answer.content) for answer in answers)
        signed = one.pop("signed_decision"), other.pop("signed_decision")
        assert orjson.dumps(one) == orjson.dumps(other)
        assert _claims(signed[0]) == _claims(signed[1])
