"""Who may change an agreement: widening needs every recognising party, narrowing is each party's own.

The rules (docs/SECURITY.md, "Authority"): a renewal, or the lifting of a suspension by anyone but the
party that imposed it, widens recognition and takes effect only once every party whose approval it
needs has signed it (proposed, then approved, in force when complete). A recognising party may suspend
or terminate its own recognition alone. Nothing changes an agreement before every party has signed it,
and the scope names only categories the programmes have defined.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.recognition.world import (
    Signatory,
    answer,
    both_ways,
    conclude,
    equivalence,
    post_event,
    propose,
    scope,
    sha256,
    sign,
    signatory,
)


@pytest.fixture
def cec(client: TestClient, admin_headers: dict[str, str]) -> Signatory:
    body = signatory(client, admin_headers, "cec")
    body.define(client, "HJ 2536")
    return body


@pytest.fixture
def jea(client: TestClient, admin_headers: dict[str, str]) -> Signatory:
    body = signatory(client, admin_headers, "jea")
    body.define(client, "No.119")
    return body


CEC_AS_JEA = {"programme": "cec", "category": "HJ 2536", "accepted": "jea:No.119"}
JEA_AS_CEC = {"programme": "jea", "category": "No.119", "accepted": "cec:HJ 2536"}


def _decision(client: TestClient, asked: dict[str, str], date: str) -> str:
    return str(equivalence(client, **asked, date=date)["decision"])


def _one_way(client: TestClient, cec: Signatory, jea: Signatory, **fields: object) -> str:
    """jea recognises cec (cec is only the recognised party), until 2030."""
    token = cec.agreement(
        ["cec", "jea"],
        [scope("cec", "HJ 2536", "jea", "No.119")],
        mutual=False,
        recognitions=[{"recognizer": "jea", "recognized": "cec"}],
        effectiveUntil="2030-01-01T00:00:00Z",
        **fields,
    )
    return conclude(client, cec, [jea], token)


def _mutual(client: TestClient, cec: Signatory, jea: Signatory) -> str:
    token = cec.agreement(
        ["cec", "jea"], both_ways("cec", "HJ 2536", "jea", "No.119"), effectiveUntil="2030-01-01T00:00:00Z"
    )
    return conclude(client, cec, [jea], token)


def _approve(client: TestClient, agreement_id: str, event: str, party: Signatory) -> dict[str, object]:
    approval = party.event_approval(agreement_id, sha256(event))
    return answer(
        client.post(f"/v1/agreements/{agreement_id}/events/{sha256(event)}/approvals", json={"approval": approval})
    )


def test_the_recognised_party_cannot_renew_alone(client: TestClient, cec: Signatory, jea: Signatory) -> None:
    agreement_id = _one_way(client, cec, jea)
    renewal = cec.event(
        agreement_id, 1, agreement_id, "renewed", "2029-01-01T00:00:00Z", effectiveUntil="2099-01-01T00:00:00Z"
    )
    proposed = post_event(client, agreement_id, renewal)
    assert _decision(client, CEC_AS_JEA, "2050-01-01") == "not_accepted"
    assert (proposed["status_code"], proposed["state"], proposed["awaiting"]) == (202, "pending", ["jea"])
    trqp = client.post(
        "/trqp/v2/recognition",
        json={
            "entity_id": "cec",
            "authority_id": "jea",
            "action": "recognize",
            "resource": "No.119",
            "context": {"time": "2050-01-01T00:00:00Z", "category": "HJ 2536"},
        },
    ).json()
    assert trqp["recognized"] is False

    approved = _approve(client, agreement_id, renewal, jea)
    assert (approved["status_code"], approved["state"]) == (201, "applied")
    assert _decision(client, CEC_AS_JEA, "2050-01-01") == "accepted_through_agreement"


def test_a_mutual_renewal_needs_both_parties(client: TestClient, cec: Signatory, jea: Signatory) -> None:
    agreement_id = _mutual(client, cec, jea)
    renewal = jea.event(
        agreement_id, 1, agreement_id, "renewed", "2029-01-01T00:00:00Z", effectiveUntil="2035-01-01T00:00:00Z"
    )
    assert post_event(client, agreement_id, renewal)["awaiting"] == ["cec"]
    assert _decision(client, JEA_AS_CEC, "2032-01-01") == "not_accepted"
    assert _decision(client, CEC_AS_JEA, "2032-01-01") == "not_accepted"
    outsider = _approve(client, agreement_id, renewal, jea)
    assert (outsider["status_code"], outsider["code"]) == (409, "ALREADY_APPROVED")
    assert _approve(client, agreement_id, renewal, cec)["state"] == "applied"
    assert _decision(client, JEA_AS_CEC, "2032-01-01") == "accepted_through_agreement"


def test_only_the_party_that_suspended_lifts_its_suspension(client: TestClient, cec: Signatory, jea: Signatory) -> None:
    agreement_id = _mutual(client, cec, jea)
    suspension = jea.event(agreement_id, 1, agreement_id, "suspended", "2025-01-01T00:00:00Z")
    assert post_event(client, agreement_id, suspension)["state"] == "applied"
    # jea suspended its own recognition of cec; cec's recognition of jea is untouched.
    assert _decision(client, CEC_AS_JEA, "2025-06-01") == "not_accepted"
    assert _decision(client, JEA_AS_CEC, "2025-06-01") == "accepted_through_agreement"

    lifted_by_other = cec.event(agreement_id, 2, sha256(suspension), "reinstated", "2025-03-01T00:00:00Z")
    proposed = post_event(client, agreement_id, lifted_by_other)
    assert (proposed["status_code"], proposed["awaiting"]) == (202, ["jea"])
    assert _decision(client, CEC_AS_JEA, "2025-06-01") == "not_accepted"

    own = jea.event(agreement_id, 2, sha256(suspension), "reinstated", "2025-04-01T00:00:00Z")
    assert post_event(client, agreement_id, own)["state"] == "applied"
    assert _decision(client, CEC_AS_JEA, "2025-06-01") == "accepted_through_agreement"
    stale = _approve(client, agreement_id, lifted_by_other, jea)
    assert (stale["status_code"], stale["code"]) == (409, "PROPOSAL_STALE")


def test_a_party_narrows_only_its_own_recognition(client: TestClient, cec: Signatory, jea: Signatory) -> None:
    agreement_id = _one_way(client, cec, jea)
    refused = post_event(
        client, agreement_id, cec.event(agreement_id, 1, agreement_id, "suspended", "2025-01-01T00:00:00Z")
    )
    assert (refused["status_code"], refused["code"]) == (403, "NOT_A_RECOGNISING_PARTY")
    terminated = post_event(
        client, agreement_id, jea.event(agreement_id, 1, agreement_id, "terminated", "2026-01-01T00:00:00Z")
    )
    assert terminated["state"] == "applied"
    assert _decision(client, CEC_AS_JEA, "2026-06-01") == "not_accepted"


def test_nothing_changes_an_agreement_before_every_party_signed(
    client: TestClient, cec: Signatory, jea: Signatory
) -> None:
    token = cec.agreement(["cec", "jea"], both_ways("cec", "HJ 2536", "jea", "No.119"))
    agreement_id = sha256(token)
    assert propose(client, token)["status_code"] == 201
    early = post_event(
        client, agreement_id, cec.event(agreement_id, 1, agreement_id, "terminated", "2025-01-01T00:00:00Z")
    )
    assert (early["status_code"], early["code"]) == (409, "AGREEMENT_NOT_SIGNED")
    assert sign(client, agreement_id, jea.signature(agreement_id))["status_code"] == 201


def test_a_terminated_agreement_cannot_be_signed(client: TestClient, cec: Signatory, jea: Signatory) -> None:
    agreement_id = _mutual(client, cec, jea)
    first = cec.event(agreement_id, 1, agreement_id, "terminated", "2026-01-01T00:00:00Z")
    assert post_event(client, agreement_id, first)["state"] == "applied"
    second = jea.event(agreement_id, 2, sha256(first), "terminated", "2026-01-01T00:00:00Z")
    assert post_event(client, agreement_id, second)["state"] == "applied"
    detail = client.get(f"/v1/agreements/{agreement_id}", params={"as_of": "2026-06-01"}).json()
    assert detail["standing"] == "terminated"
    again = sign(client, agreement_id, jea.signature(agreement_id, note="after the end"))
    assert (again["status_code"], again["code"]) == (409, "AGREEMENT_TERMINATED")


def test_the_scope_names_only_defined_categories(client: TestClient, cec: Signatory, jea: Signatory) -> None:
    token = cec.agreement(["cec", "jea"], both_ways("cec", "HJ 2536", "jea", "No.999"))
    refused = propose(client, token, define=False)
    assert (refused["status_code"], refused["code"]) == (422, "UNKNOWN_CATEGORY")
    assert "jea No.999" in refused["detail"]
    assert client.get(f"/v1/agreements/{sha256(token)}").status_code == 404
