"""Factories for recognition tests: programmes that sign agreements, signatures and agreement events.

`Signatory` extends the registry tests' `Certifier` with the agreement documents; `post_*` helpers
submit them through the API and return the decoded answer with its status code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import weakref
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from tests.registry.factories import Certifier, certifier

AGREEMENT_TYP = "ecolabel-agreement+jwt"
SIGNATURE_TYP = "ecolabel-agreement-signature+jwt"
EVENT_TYP = "ecolabel-agreement-event+jwt"
APPROVAL_TYP = "ecolabel-agreement-event-approval+jwt"


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def scope(
    source: str,
    source_category: str,
    target: str,
    target_category: str,
    *,
    versions: dict[str, str] | None = None,
    target_versions: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One directional scope mapping: a certificate of source's category counts as target's."""
    return {
        "from": {"programme": source, "category": source_category, "criteriaVersions": versions or {}},
        "to": {"programme": target, "category": target_category, "criteriaVersions": target_versions or {}},
    }


def both_ways(a: str, a_category: str, b: str, b_category: str) -> list[dict[str, Any]]:
    return [scope(a, a_category, b, b_category), scope(b, b_category, a, a_category)]


@dataclass
class Signatory(Certifier):
    """A programme in tests that also signs agreements."""

    def agreement_payload(self, parties: list[str], mappings: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "type": "MutualRecognitionAgreement",
            "issuer": self.issuer,
            "title": f"Test agreement of {', '.join(parties)}",
            "parties": parties,
            "mutual": True,
            "agreementType": "full",
            "scope": mappings,
            "effectiveFrom": "2020-01-01T00:00:00Z",
            "announcement": "https://example.org/announcements/test-agreement",
        }
        payload.update(fields)
        return {key: value for key, value in payload.items() if value is not None}

    def agreement(self, parties: list[str], mappings: list[dict[str, Any]], **fields: Any) -> str:
        return self.sign(self.agreement_payload(parties, mappings, **fields), AGREEMENT_TYP)

    def signature(self, agreement_id: str, **fields: Any) -> str:
        payload = {"type": "AgreementSignature", "issuer": self.issuer, "agreement": agreement_id, **fields}
        return self.sign(payload, SIGNATURE_TYP)

    def event(
        self, agreement_id: str, sequence: int, previous: str, change: str, effective_at: str, **fields: Any
    ) -> str:
        payload: dict[str, Any] = {
            "type": "AgreementEvent",
            "issuer": self.issuer,
            "agreement": agreement_id,
            "sequence": sequence,
            "previous": previous,
            "change": change,
            "effectiveAt": effective_at,
            "reason": f"{change} by {self.programme_id}",
            **fields,
        }
        return self.sign(payload, EVENT_TYP)

    def event_approval(self, agreement_id: str, event_sha256: str) -> str:
        """This party's approval of a proposed agreement event (a renewal, or lifting a suspension)."""
        payload = {
            "type": "AgreementEventApproval",
            "issuer": self.issuer,
            "agreement": agreement_id,
            "event": event_sha256,
        }
        return self.sign(payload, APPROVAL_TYP)

    def define(self, client: TestClient, code: str, version: str = "1", **crosswalk: list[str]) -> None:
        payload = self.category_payload(code, version, crosswalk=crosswalk)
        payload["criteria"] = {
            "id": f"{self.programme_id} {code}",
            "version": version,
            "validFrom": "2000-01-01T00:00:00Z",
        }
        response = client.post(
            f"/v1/programmes/{self.programme_id}/categories",
            json={"category": self.sign(payload, "ecolabel-category+jwt")},
        )
        assert response.status_code == 201, response.text

    def certificate(self, client: TestClient, licence: str, code: str, version: str = "1", **overrides: Any) -> str:
        """Register a certificate in one of this programme's categories and return its id."""
        payload = self.credential_payload(licence, **overrides)
        payload["credentialSubject"]["category"] = {"code": code, "criteriaVersion": version}
        token = self.sign(payload, "vc+jwt")
        response = client.post("/v1/certificates", json={"credential": token})
        assert response.status_code == 201, response.text
        return sha256(token)


# The signatories registered on each test client, so that `propose` can have each programme define the
# categories an agreement's scope names (the registry refuses a scope naming undefined categories).
_SIGNATORIES: weakref.WeakKeyDictionary[TestClient, dict[str, Signatory]] = weakref.WeakKeyDictionary()


def signatory(client: TestClient, admin_headers: dict[str, str], programme_id: str) -> Signatory:
    body = certifier(client, admin_headers, programme_id, category=False)
    made = Signatory(programme_id=body.programme_id, keys=body.keys, kid=body.kid, roots=body.roots)
    _SIGNATORIES.setdefault(client, {})[programme_id] = made
    return made


def define_scope(client: TestClient, token: str) -> None:
    """Have each known party define the categories the agreement's scope names, where it has not yet."""
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    known = _SIGNATORIES.get(client, {})
    named = {(end["programme"], end["category"]) for m in payload.get("scope", []) for end in (m["from"], m["to"])}
    for programme, code in sorted(named):
        party = known.get(programme)
        if party is None:
            continue
        defined = client.get(f"/v1/programmes/{programme}/categories").json().get("items", [])
        if not any(item["code"] == code for item in defined):
            party.define(client, code)


def answer(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": response.status_code, **response.json()}
    return body


def propose(client: TestClient, token: str, *, define: bool = True) -> dict[str, Any]:
    """Propose an agreement; first (unless `define` is false) its parties define the categories it names."""
    if define:
        define_scope(client, token)
    return answer(client.post("/v1/agreements", json={"agreement": token}))


def sign(client: TestClient, agreement_id: str, token: str) -> dict[str, Any]:
    return answer(client.post(f"/v1/agreements/{agreement_id}/signatures", json={"signature": token}))


def post_event(client: TestClient, agreement_id: str, token: str) -> dict[str, Any]:
    return answer(client.post(f"/v1/agreements/{agreement_id}/events", json={"event": token}))


def conclude(client: TestClient, proposer: Signatory, others: list[Signatory], token: str) -> str:
    """Propose an agreement and have every other party sign it; return its id."""
    proposed = propose(client, token)
    assert proposed["status_code"] == 201, proposed
    agreement_id = sha256(token)
    for party in others:
        signed = sign(client, agreement_id, party.signature(agreement_id))
        assert signed["status_code"] == 201, signed
    return agreement_id


def equivalence(client: TestClient, **params: Any) -> dict[str, Any]:
    return answer(client.get("/v1/equivalence", params=params))
