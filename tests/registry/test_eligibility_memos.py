"""A catalogue answer does not depend on what the process remembers: memoized standings and verified
credentials give the same bytes as a cold check, and a new status event is seen at once."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import Certifier, certificate_id, certifier
from verification import standing

REQUIREMENT = {"accepted": [{"programme": "eu-ecolabel", "category": "044"}], "markets": ["IT"]}


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "eu-ecolabel")


def _submit(client: TestClient, token: str) -> str:
    client.post("/v1/certificates", json={"credential": token}).raise_for_status()
    return certificate_id(token)


def _items(ids: list[str]) -> list[dict[str, Any]]:
    """Named every way, each certificate several times, among hundreds of names that match nothing
    (more than one SQLite statement's worth of bound values before lists became one JSON array)."""
    items: list[dict[str, Any]] = []
    for n, cid in enumerate(ids):
        items += [{"ref": f"id-{n}", "certificate_id": cid}, {"certificate_id": cid}]
        items.append({"ref": f"licence-{n}", "programme": "eu-ecolabel", "licence_number": f"IT/044/{n:03d}"})
    items += [{"certificate_id": f"{n:064x}"} for n in range(450)]
    items += [{"programme": "eu-ecolabel", "licence_number": f"XX/{n}"} for n in range(450)]
    items += [{"gtin": f"{40_000_000 + n}"} for n in range(450)]
    return items


def _check(client: TestClient, items: list[dict[str, Any]]) -> tuple[bytes, dict[str, Any]]:
    """The answer without its decision, as bytes, and the decision's claims without `iat`."""
    response = client.post(
        "/v1/verify/eligibility", json={"requirement": REQUIREMENT, "date": "2025-06-01T00:00:00Z", "items": items}
    )
    assert response.status_code == 200, response.text
    decision = response.json()["decision"]
    claims = orjson.loads(base64.urlsafe_b64decode(decision.split(".")[1] + "=="))
    claims.pop("iat")
    return response.content.replace(decision.encode(), b""), claims


def test_a_warm_answer_is_byte_for_byte_the_cold_one(client: TestClient, body: Certifier) -> None:
    ids = [_submit(client, body.credential(f"IT/044/{n:03d}")) for n in range(3)]
    standing._JUDGED.clear()
    standing._VERIFIED.clear()
    cold = _check(client, _items(ids))
    assert cold == _check(client, _items(ids))
    assert cold[1]["itemCount"] == 3 * 3 + 3 * 450
    assert cold[1]["eligibleCount"] == 3 * 3  # every line that names a certificate


def test_a_status_event_after_a_check_is_seen_by_the_next_one(client: TestClient, body: Certifier) -> None:
    cid = _submit(client, body.credential("IT/044/000"))
    before = _check(client, _items([cid]))
    event = body.status_event(cid, 1, cid, "suspended", effectiveAt="2025-03-01T00:00:00Z")
    client.post(f"/v1/certificates/{cid}/events", json={"event": event}).raise_for_status()
    after = _check(client, _items([cid]))
    assert b"CERTIFICATE_SUSPENDED" not in before[0]
    assert b"CERTIFICATE_SUSPENDED" in after[0]
