"""Proposing, signing and changing agreements: every write logged, every bad document refused.

An agreement is in force only once every party has signed; its events are hash-chained like a
certificate's status events, so replayed, reordered or forked events are refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.recognition.world import (
    AGREEMENT_TYP,
    Signatory,
    both_ways,
    conclude,
    equivalence,
    post_event,
    propose,
    sha256,
    sign,
    signatory,
)
from verification.ed25519 import generate_private_key


@pytest.fixture
def cec(client: TestClient, admin_headers: dict[str, str]) -> Signatory:
    return signatory(client, admin_headers, "cec")


@pytest.fixture
def jea(client: TestClient, admin_headers: dict[str, str]) -> Signatory:
    return signatory(client, admin_headers, "jea")


@pytest.fixture
def keiti(client: TestClient, admin_headers: dict[str, str]) -> Signatory:
    return signatory(client, admin_headers, "keiti")


def _mutual(cec: Signatory, **fields: object) -> str:
    payload = cec.agreement_payload(["cec", "jea"], both_ways("cec", "HJ 2536", "jea", "No.119"))
    payload.update(fields)
    return cec.sign(payload, AGREEMENT_TYP)


def test_an_agreement_is_in_force_only_once_every_party_signed(
    client: TestClient, cec: Signatory, jea: Signatory
) -> None:
    token = _mutual(cec)
    proposed = propose(client, token)
    assert proposed["status_code"] == 201
    agreement = proposed["agreement"]
    assert agreement["id"] == sha256(token)
    assert agreement["standing"] == "awaiting_signatures"
    assert agreement["fully_signed"] is False
    assert {p["programme_id"]: p["signed"] for p in agreement["parties"]} == {"cec": True, "jea": False}
    assert proposed["receipt"]["kind"] == "agreement"

    signed = sign(client, agreement["id"], jea.signature(agreement["id"]))
    assert signed["status_code"] == 201
    assert signed["receipt"]["kind"] == "agreement_signature"
    assert signed["agreement"]["standing"] == "in_force"
    assert signed["agreement"]["fully_signed"] is True
    party = next(p for p in signed["agreement"]["parties"] if p["programme_id"] == "jea")
    assert party["signed_at"] == signed["receipt"]["integrated_at"]
    assert party["signature"] == jea.signature(agreement["id"])  # Ed25519 is deterministic: the same bytes


def test_the_detail_has_the_parties_scope_events_and_every_original_document(
    client: TestClient, cec: Signatory, jea: Signatory
) -> None:
    token = _mutual(cec, effectiveUntil="2030-01-01T00:00:00Z")
    agreement_id = conclude(client, cec, [jea], token)
    renewal = jea.event(
        agreement_id, 1, agreement_id, "renewed", "2029-06-01T00:00:00Z", effectiveUntil="2035-01-01T00:00:00Z"
    )
    assert post_event(client, agreement_id, renewal)["status_code"] == 202  # a renewal needs both parties
    approval = cec.event_approval(agreement_id, sha256(renewal))
    approved = client.post(
        f"/v1/agreements/{agreement_id}/events/{sha256(renewal)}/approvals", json={"approval": approval}
    )
    assert approved.status_code == 201, approved.text

    detail = client.get(f"/v1/agreements/{agreement_id}", params={"as_of": "2032-01-01"}).json()
    assert detail["document"] == token
    assert detail["standing"] == "in_force"
    assert detail["effective_until"] == "2030-01-01T00:00:00.000000Z"
    assert detail["effective_until_at_standing"] == "2035-01-01T00:00:00.000000Z"
    assert [e["document"] for e in detail["events"]] == [renewal]
    assert detail["events"][0]["issuer_id"] == "jea"
    assert detail["next_event"] == {"sequence": 2, "previous": sha256(renewal)}
    assert detail["scope"][0] == {
        "from": {"programme": "cec", "category": "HJ 2536", "criteria_versions": {"min": None, "max": None}},
        "to": {"programme": "jea", "category": "No.119", "criteria_versions": {"min": None, "max": None}},
    }
    assert {(r["recognizer"], r["recognized"]) for r in detail["recognitions"]} == {("cec", "jea"), ("jea", "cec")}
    proposer = next(p for p in detail["parties"] if p["programme_id"] == "cec")
    assert proposer["proposer"] is True
    assert proposer["signature"] is None  # the proposer signed the agreement document itself
    assert client.get(f"/v1/agreements/{agreement_id}", params={"as_of": "2036-01-01"}).json()["standing"] == "expired"


def test_every_write_is_a_log_entry(client: TestClient, cec: Signatory, jea: Signatory) -> None:
    agreement_id = conclude(client, cec, [jea], _mutual(cec))
    post_event(client, agreement_id, cec.event(agreement_id, 1, agreement_id, "suspended", "2025-01-01T00:00:00Z"))
    kinds = [entry["kind"] for entry in client.get("/v1/log/entries", params={"limit": 100}).json()["entries"]]
    assert kinds[-3:] == ["agreement", "agreement_signature", "agreement_event"]


def test_submitting_the_same_documents_again_returns_the_original_receipts(
    client: TestClient, cec: Signatory, jea: Signatory
) -> None:
    token = _mutual(cec)
    first = propose(client, token)
    again = propose(client, token)
    assert (again["status_code"], again["created"]) == (200, False)
    assert again["receipt"]["leaf_index"] == first["receipt"]["leaf_index"]
    signature = jea.signature(sha256(token))
    signed = sign(client, sha256(token), signature)
    signed_again = sign(client, sha256(token), signature)
    assert (signed_again["status_code"], signed_again["created"]) == (200, False)
    assert signed_again["receipt"]["leaf_index"] == signed["receipt"]["leaf_index"]
    different = sign(client, sha256(token), jea.signature(sha256(token), note="signed twice"))
    assert (different["status_code"], different["code"]) == (409, "ALREADY_SIGNED")
    proposer = sign(client, sha256(token), cec.signature(sha256(token)))
    assert (proposer["status_code"], proposer["code"]) == (409, "ALREADY_SIGNED")
    entries = client.get("/v1/log/entries", params={"limit": 100}).json()["entries"]
    assert [e["kind"] for e in entries if e["kind"].startswith("agreement")] == ["agreement", "agreement_signature"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"agreement": "not-a-jws"}', 422, "INVALID_JWS"),
        (b'{"agreement": "a.b.c"}', 422, "INVALID_BASE64URL"),
        (b'{"agreement": "eyJhbGciOiJFZERTQSJ9.e30.AA"}', 422, "KID_MISSING"),
        (b'{"agreement": 1}', 422, None),
        (b'{"agreement": "x", "agreement": "y"}', 400, "DUPLICATE_KEY"),
        (b"not json", 400, None),
    ],
    ids=["not-compact", "garbage-parts", "no-kid", "not-a-string", "duplicate-member", "not-json"],
)
def test_malformed_agreements_are_refused(
    client: TestClient, cec: Signatory, body: bytes, status: int, code: str | None
) -> None:
    response = client.post("/v1/agreements", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    if code is not None:
        assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"parties": ["cec"]}, "parties"),
        ({"parties": ["jea", "keiti"]}, "issuer must be one of the parties"),
        ({"mutual": False}, "either mutual"),
        ({"effectiveUntil": "2019-01-01T00:00:00Z"}, "effectiveUntil"),
        ({"agreementType": "common_core"}, "supplementaryCriteria"),
        ({"agreementType": "reciprocal"}, "agreementType"),
        ({"effectiveFrom": "2020-01-01"}, "effectiveFrom"),
    ],
    ids=[
        "one-party",
        "issuer-not-a-party",
        "no-recognitions",
        "ends-before-start",
        "common-core-no-extras",
        "bad-type",
        "date-without-time",
    ],
)
def test_agreements_that_break_the_profile_are_refused(
    client: TestClient, cec: Signatory, jea: Signatory, fields: dict[str, object], message: str
) -> None:
    refused = propose(client, _mutual(cec, **fields))
    assert (refused["status_code"], refused["code"]) == (422, "PAYLOAD_INVALID")
    assert message in refused["detail"] or any(message in str(e) for e in refused["errors"])


def test_a_mapping_in_a_direction_nobody_recognises_is_refused(
    client: TestClient, cec: Signatory, jea: Signatory
) -> None:
    one_way = cec.agreement(
        ["cec", "jea"],
        both_ways("cec", "HJ 2536", "jea", "No.119"),
        mutual=False,
        recognitions=[{"recognizer": "jea", "recognized": "cec"}],
    )
    refused = propose(client, one_way)
    assert (refused["status_code"], refused["code"]) == (422, "PAYLOAD_INVALID")
    assert "does not say that the second recognises the first" in refused["detail"]


def test_an_unregistered_party_is_refused(client: TestClient, cec: Signatory) -> None:
    refused = propose(client, cec.agreement(["cec", "nobody"], both_ways("cec", "HJ 2536", "nobody", "X")))
    assert (refused["status_code"], refused["code"], refused["parties"]) == (422, "UNKNOWN_PARTY", ["nobody"])


def test_a_forged_agreement_or_signature_is_refused(client: TestClient, cec: Signatory, jea: Signatory) -> None:
    impostor = generate_private_key()
    forged = cec.sign(
        cec.agreement_payload(["cec", "jea"], both_ways("cec", "A", "jea", "B")), "ecolabel-agreement+jwt", key=impostor
    )
    refused = propose(client, forged)
    assert (refused["status_code"], refused["code"]) == (422, "BAD_SIGNATURE")
    token = _mutual(cec)
    propose(client, token)
    forged_signature = jea.sign(
        {"type": "AgreementSignature", "issuer": jea.issuer, "agreement": sha256(token)},
        "ecolabel-agreement-signature+jwt",
        key=impostor,
    )
    refused = sign(client, sha256(token), forged_signature)
    assert (refused["status_code"], refused["code"]) == (422, "BAD_SIGNATURE")
    wrong_typ = jea.sign({"type": "AgreementSignature", "issuer": jea.issuer, "agreement": sha256(token)}, "vc+jwt")
    assert sign(client, sha256(token), wrong_typ)["code"] == "WRONG_TYP"


def test_only_a_party_may_sign_and_only_this_agreement(
    client: TestClient, cec: Signatory, jea: Signatory, keiti: Signatory
) -> None:
    token = _mutual(cec)
    agreement_id = sha256(token)
    propose(client, token)
    outsider = sign(client, agreement_id, keiti.signature(agreement_id))
    assert (outsider["status_code"], outsider["code"]) == (403, "NOT_A_PARTY")
    elsewhere = sign(client, agreement_id, jea.signature("0" * 64))
    assert (elsewhere["status_code"], elsewhere["code"]) == (422, "WRONG_AGREEMENT")
    unknown = sign(client, "f" * 64, jea.signature("f" * 64))
    assert unknown["status_code"] == 404
    assert client.get(f"/v1/agreements/{agreement_id}").json()["fully_signed"] is False


def test_agreement_events_are_chained_and_replays_are_refused(
    client: TestClient, cec: Signatory, jea: Signatory, keiti: Signatory
) -> None:
    agreement_id = conclude(client, cec, [jea], _mutual(cec))
    first = cec.event(agreement_id, 1, agreement_id, "suspended", "2025-03-01T00:00:00Z")
    accepted = post_event(client, agreement_id, first)
    assert (accepted["status_code"], accepted["receipt"]["kind"]) == (201, "agreement_event")
    assert accepted["event"]["sha256"] == sha256(first)

    def refused(token: str) -> tuple[int, str]:
        body = post_event(client, agreement_id, token)
        return body["status_code"], body["code"]

    assert refused(first) == (409, "EVENT_REPLAYED")
    assert refused(jea.event(agreement_id, 3, sha256(first), "reinstated", "2025-04-01T00:00:00Z")) == (
        409,
        "SEQUENCE_GAP",
    )
    assert refused(jea.event(agreement_id, 2, agreement_id, "reinstated", "2025-04-01T00:00:00Z")) == (
        409,
        "HISTORY_FORKED",
    )
    assert refused(jea.event(agreement_id, 2, sha256(first), "reinstated", "2025-02-01T00:00:00Z")) == (
        409,
        "EFFECTIVE_TIME_REGRESSION",
    )
    assert refused(cec.event(agreement_id, 2, sha256(first), "suspended", "2025-04-01T00:00:00Z")) == (
        409,
        "ILLEGAL_TRANSITION",
    )
    assert refused(keiti.event(agreement_id, 2, sha256(first), "reinstated", "2025-04-01T00:00:00Z")) == (
        403,
        "NOT_A_PARTY",
    )
    assert refused(jea.event("0" * 64, 2, sha256(first), "reinstated", "2025-04-01T00:00:00Z")) == (
        422,
        "WRONG_AGREEMENT",
    )
    second = cec.event(agreement_id, 2, sha256(first), "reinstated", "2025-04-01T00:00:00Z")
    assert post_event(client, agreement_id, second)["status_code"] == 201  # the party that suspended lifts it
    third = cec.event(agreement_id, 3, sha256(second), "terminated", "2026-01-01T00:00:00Z")
    assert post_event(client, agreement_id, third)["status_code"] == 201
    after_end = jea.event(agreement_id, 4, sha256(third), "reinstated", "2026-02-01T00:00:00Z")
    assert refused(after_end) == (409, "ILLEGAL_TRANSITION")
    assert post_event(client, "e" * 64, second)["status_code"] == 404


def test_a_renewal_must_extend_the_agreement(client: TestClient, cec: Signatory, jea: Signatory) -> None:
    open_ended = conclude(client, cec, [jea], _mutual(cec))
    renewal = cec.event(
        open_ended, 1, open_ended, "renewed", "2025-01-01T00:00:00Z", effectiveUntil="2030-01-01T00:00:00Z"
    )
    assert post_event(client, open_ended, renewal)["code"] == "ILLEGAL_TRANSITION"
    bounded = conclude(client, cec, [jea], _mutual(cec, effectiveUntil="2030-01-01T00:00:00Z"))
    shorter = cec.event(bounded, 1, bounded, "renewed", "2025-01-01T00:00:00Z", effectiveUntil="2029-01-01T00:00:00Z")
    assert post_event(client, bounded, shorter)["code"] == "ILLEGAL_TRANSITION"
    no_end = cec.event(bounded, 1, bounded, "renewed", "2025-01-01T00:00:00Z")
    assert post_event(client, bounded, no_end)["code"] == "PAYLOAD_INVALID"


def test_agreements_are_listed_by_party_and_standing_with_a_cursor(
    client: TestClient, cec: Signatory, jea: Signatory, keiti: Signatory
) -> None:
    signed = conclude(client, cec, [jea], _mutual(cec))
    unsigned_token = cec.agreement(["cec", "keiti"], both_ways("cec", "HJ 2536", "keiti", "EL-PC"))
    propose(client, unsigned_token)
    later = conclude(
        client,
        jea,
        [keiti],
        jea.agreement(
            ["jea", "keiti"], both_ways("jea", "No.119", "keiti", "EL-PC"), effectiveFrom="2030-01-01T00:00:00Z"
        ),
    )

    def ids(**params: object) -> list[str]:
        return [item["id"] for item in client.get("/v1/agreements", params=params).json()["items"]]

    assert ids() == sorted([signed, sha256(unsigned_token), later])
    assert ids(party="keiti") == sorted([sha256(unsigned_token), later])
    assert ids(in_force_on="2025-06-01") == [signed]
    assert ids(in_force_on="2031-06-01T00:00:00Z") == sorted([signed, later])
    first_page = client.get("/v1/agreements", params={"limit": 2}).json()
    second_page = client.get("/v1/agreements", params={"limit": 2, "cursor": first_page["next_cursor"]}).json()
    assert [i["id"] for i in first_page["items"] + second_page["items"]] == ids()
    assert second_page["next_cursor"] is None
    naive = client.get("/v1/agreements", params={"in_force_on": "2025-06-01T00:00:00"})
    assert (naive.status_code, naive.json()["code"]) == (422, "NAIVE_DATETIME")
    assert client.get("/v1/agreements/" + "a" * 64).status_code == 404


def test_as_known_at_counts_only_the_signatures_logged_by_then(
    client: TestClient, cec: Signatory, jea: Signatory
) -> None:
    token = _mutual(cec)
    proposed = propose(client, token)["receipt"]["integrated_at"]
    signed = sign(client, sha256(token), jea.signature(sha256(token)))["receipt"]["integrated_at"]
    asked = {"programme": "cec", "category": "HJ 2536", "accepted": "jea:No.119", "date": "2025-06-01"}

    def reasons(known_at: str) -> list[str]:
        answer = equivalence(client, **asked, known_at=known_at)
        return [reason["code"] for reason in answer["reasons"]] or [answer["decision"]]

    before = (datetime.fromisoformat(proposed) - timedelta(microseconds=1)).isoformat().replace("+00:00", "Z")
    assert reasons(before) == ["NO_AGREEMENT"]
    assert reasons(proposed) == (["AGREEMENT_NOT_IN_FORCE"] if proposed < signed else ["accepted_through_agreement"])
    assert reasons(signed) == ["accepted_through_agreement"]
