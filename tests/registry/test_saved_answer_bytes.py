"""A saved eligibility answer checked from its bytes: the registry's own bytes take the quick path and are
archived as they came; any other spelling of the same answer still verifies, and no spelling lets
results through that the registry did not sign."""

from __future__ import annotations

import json

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import Certifier, certificate_id, certifier
from verification import decision
from verification.canonical import dumps_canonical
from verification.decision import verify_saved_eligibility_bytes
from verification.errors import VerificationError
from verification.jwk import PublicKey, parse_public_jwk


@pytest.fixture
def answered(client: TestClient, admin_headers: dict[str, str]) -> tuple[bytes, PublicKey]:
    """The bytes of an answer about three lines, as the registry sent them, and its key."""
    body: Certifier = certifier(client, admin_headers, "eu-ecolabel")
    token = body.credential("IT/044/005")
    client.post("/v1/certificates", json={"credential": token}).raise_for_status()
    items = [
        {"ref": "L-1", "certificate_id": certificate_id(token)},
        {"ref": "=L-2", "programme": "eu-ecolabel", "licence_number": "IT/044/005"},
        {"ref": "L-3", "gtin": "96385074"},
    ]
    response = client.post(
        "/v1/verify/eligibility",
        json={
            "requirement": {"accepted": [{"programme": "eu-ecolabel"}]},
            "date": "2025-06-01T00:00:00Z",
            "items": items,
        },
    )
    assert response.status_code == 200, response.text
    key = parse_public_jwk(client.get("/.well-known/ecolabel-registry").json()["jwks"]["keys"][0])
    return response.content, key


def test_the_registry_bytes_are_checked_and_archived_as_they_came(
    answered: tuple[bytes, PublicKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    data, key = answered

    def not_taken(*_: object) -> bool:
        raise AssertionError("the registry's own bytes take the quick path")

    monkeypatch.setattr(decision, "_round_trips", not_taken)
    saved = verify_saved_eligibility_bytes(data, key)
    assert saved.archived == data
    assert saved.results_json == dumps_canonical(saved.results)
    assert [result["ref"] for result in saved.results] == ["L-1", "=L-2", "L-3"]
    assert saved.decision.item_count == 3


def test_another_spelling_of_the_same_answer_still_verifies(answered: tuple[bytes, PublicKey]) -> None:
    data, key = answered
    answer = json.loads(data)
    spellings = [
        json.dumps(answer, indent=1).encode(),  # whitespace
        orjson.dumps(dict(reversed(list(answer.items())))),  # another member order
        orjson.dumps(answer, option=orjson.OPT_SORT_KEYS),
        orjson.dumps({**answer, "judged_at": {**answer["judged_at"], "results": []}}),  # a second "results":[]
    ]
    for spelling in spellings:
        saved = verify_saved_eligibility_bytes(spelling, key)
        assert saved.results == answer["results"]
        assert saved.results_json == dumps_canonical(answer["results"])
        assert verify_saved_eligibility_bytes(saved.archived, key).results == answer["results"]


def test_no_spelling_lets_unsigned_results_through(answered: tuple[bytes, PublicKey]) -> None:
    data, key = answered
    answer = json.loads(data)
    signed = orjson.dumps(answer["results"])
    forged = [{**result, "eligible": True} for result in answer["results"]]
    attempts = [
        data.replace(b'"ref":"L-3"', b'"ref":"L-4"'),
        # the signed results first and other ones after, under the same name: a lenient parse keeps the last
        data.replace(b'"results":' + signed, b'"results":' + signed + b',"results":' + orjson.dumps(forged)),
        data.replace(b'"results":' + signed, b'"results":' + orjson.dumps(forged) + b',"results":' + signed),
        data.replace(b'"results":' + signed, b'"results":' + signed[:-1] + b"," + signed[1:]),  # one line twice
    ]
    assert all(attempt != data for attempt in attempts)
    for attempt in attempts:
        with pytest.raises(VerificationError):
            verify_saved_eligibility_bytes(attempt, key)
