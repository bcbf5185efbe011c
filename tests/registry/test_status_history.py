"""Status events: hash-chained and sequenced, so replayed, reordered or forked events are refused.

Status "as of D" follows when each change took effect; "as known at K" ignores what was logged later.
"""

from __future__ import annotations

import hashlib
import time

import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import Certifier, certificate_id, certifier


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "blue-angel")


@pytest.fixture
def cert(client: TestClient, body: Certifier) -> str:
    token = body.credential("DE-UZ-198/0042")
    client.post("/v1/certificates", json={"credential": token}).raise_for_status()
    return certificate_id(token)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _post(client: TestClient, cert: str, token: str) -> dict[str, object]:
    response = client.post(f"/v1/certificates/{cert}/events", json={"event": token})
    body: dict[str, object] = {"status_code": response.status_code, **response.json()}
    return body


def _status(client: TestClient, cert: str, **params: str) -> str:
    status: str = client.get(f"/v1/certificates/{cert}", params=params).json()["status"]
    return status


def test_a_suspension_changes_the_status_from_its_effective_date(
    client: TestClient, body: Certifier, cert: str
) -> None:
    answer = _post(client, cert, body.status_event(cert, 1, cert, "suspended", effectiveAt="2025-03-01T00:00:00Z"))
    assert answer["status_code"] == 201
    assert answer["status"] == "suspended"
    assert _status(client, cert, as_of="2025-02-28T23:59:59Z") == "active"
    assert _status(client, cert, as_of="2025-03-01T00:00:00Z") == "suspended"
    assert _status(client, cert, as_of="2023-06-01T00:00:00Z") == "not_yet_valid"
    assert _status(client, cert, as_of="2028-06-01T00:00:00Z") == "expired"


def test_the_history_is_a_chain_and_each_link_is_checked(client: TestClient, body: Certifier, cert: str) -> None:
    first = body.status_event(cert, 1, cert, "suspended", effectiveAt="2025-03-01T00:00:00Z")
    assert _post(client, cert, first)["status_code"] == 201
    replayed = _post(client, cert, first)
    assert (replayed["status_code"], replayed["code"]) == (409, "EVENT_REPLAYED")
    gap = _post(client, cert, body.status_event(cert, 3, _sha(first), "reinstated"))
    assert (gap["status_code"], gap["code"]) == (409, "SEQUENCE_GAP")
    forked = _post(client, cert, body.status_event(cert, 2, cert, "reinstated", effectiveAt="2025-04-01T00:00:00Z"))
    assert (forked["status_code"], forked["code"]) == (409, "HISTORY_FORKED")
    earlier = _post(
        client, cert, body.status_event(cert, 2, _sha(first), "reinstated", effectiveAt="2025-02-01T00:00:00Z")
    )
    assert (earlier["status_code"], earlier["code"]) == (409, "EFFECTIVE_TIME_REGRESSION")
    illegal = _post(
        client, cert, body.status_event(cert, 2, _sha(first), "suspended", effectiveAt="2025-04-01T00:00:00Z")
    )
    assert (illegal["status_code"], illegal["code"]) == (409, "ILLEGAL_TRANSITION")
    second = body.status_event(cert, 2, _sha(first), "reinstated", effectiveAt="2025-04-01T00:00:00Z")
    assert _post(client, cert, second)["status_code"] == 201
    detail = client.get(f"/v1/certificates/{cert}").json()
    assert [event["sha256"] for event in detail["history"]] == [_sha(first), _sha(second)]
    assert detail["next_event"] == {"sequence": 3, "previous": _sha(second)}
    assert len(client.get("/v1/log/entries", params={"limit": 100}).json()["entries"]) == 5


def test_renewal_extends_validity_and_withdrawal_is_final(client: TestClient, body: Certifier, cert: str) -> None:
    renewed = body.status_event(
        cert, 1, cert, "renewed", effectiveAt="2027-06-01T00:00:00Z", validUntil="2030-12-31T00:00:00Z"
    )
    assert _post(client, cert, renewed)["status_code"] == 201
    assert _status(client, cert, as_of="2029-01-01T00:00:00Z") == "active"
    withdrawn = body.status_event(cert, 2, _sha(renewed), "withdrawn", effectiveAt="2029-02-01T00:00:00Z")
    assert _post(client, cert, withdrawn)["status_code"] == 201
    assert _status(client, cert, as_of="2029-03-01T00:00:00Z") == "withdrawn"
    again = body.status_event(cert, 3, _sha(withdrawn), "reinstated", effectiveAt="2029-04-01T00:00:00Z")
    assert _post(client, cert, again)["code"] == "ILLEGAL_TRANSITION"


def test_renewal_needs_a_new_end_date(client: TestClient, body: Certifier, cert: str) -> None:
    answer = _post(client, cert, body.status_event(cert, 1, cert, "renewed"))
    assert (answer["status_code"], answer["code"]) == (422, "PAYLOAD_INVALID")


def test_another_programme_cannot_change_this_certificate(
    client: TestClient, body: Certifier, cert: str, admin_headers: dict[str, str]
) -> None:
    intruder = certifier(client, admin_headers, "nordic-swan")
    answer = _post(client, cert, intruder.status_event(cert, 1, cert, "withdrawn"))
    assert (answer["status_code"], answer["code"]) == (403, "WRONG_PROGRAMME")
    assert _status(client, cert, as_of="2025-06-01T00:00:00Z") == "active"


def test_an_event_for_another_certificate_is_refused(client: TestClient, body: Certifier, cert: str) -> None:
    other = body.credential("DE-UZ-198/0043")
    client.post("/v1/certificates", json={"credential": other}).raise_for_status()
    answer = _post(client, cert, body.status_event(certificate_id(other), 1, cert, "suspended"))
    assert (answer["status_code"], answer["code"]) == (422, "WRONG_CERTIFICATE")


def test_an_event_for_an_unknown_certificate_is_not_found(client: TestClient, body: Certifier) -> None:
    missing = "ab" * 32
    answer = _post(client, missing, body.status_event(missing, 1, missing, "suspended"))
    assert answer["status_code"] == 404


def test_as_known_at_ignores_what_the_registry_learned_later(client: TestClient, body: Certifier, cert: str) -> None:
    before = client.get(f"/v1/certificates/{cert}").json()["integrated_at"]
    time.sleep(0.002)
    _post(client, cert, body.status_event(cert, 1, cert, "suspended", effectiveAt="2025-03-01T00:00:00Z"))
    # Backdated: the suspension took effect in 2025, but the registry only learned of it now.
    assert _status(client, cert, as_of="2025-06-01T00:00:00Z") == "suspended"
    assert _status(client, cert, as_of="2025-06-01T00:00:00Z", known_at=before) == "active"
