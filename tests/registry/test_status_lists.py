"""Bitstring Status Lists: slots claimed before signing, bits that follow the status chains, refusals."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.log import service as log_service
from ecolabel_registry.settings import Settings
from ecolabel_registry.signing_key import load_signing_key
from tests.registry.factories import Certifier, certificate_id, certifier
from verification.canonical import dumps_canonical
from verification.jwk import PublicKey
from verification.jws import sign_compact, verify_compact
from verification.status_list import LIST_SIZE, bit_of, credential_status, decode_list

BASE = "https://registry.test"
DID = "did:web:registry.test:programmes:eu-ecolabel"
LIST = "/v1/programmes/eu-ecolabel/status-lists"


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "eu-ecolabel")


def _payload(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    parsed: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return parsed


def _bit(client: TestClient, purpose: str, index: int, **params: Any) -> bool:
    response = client.get(f"{LIST}/{purpose}/0", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vc+jwt"
    return bit_of(decode_list(_payload(response.text)["credentialSubject"]["encodedList"]), index)


def _issue(client: TestClient, body: Certifier, licence: str = "IT/044/005") -> tuple[str, int]:
    (slot,) = client.get(f"{LIST}/free").json()["slots"]
    token = body.credential(licence, credentialStatus=slot["credentialStatus"])
    response = client.post("/v1/certificates", json={"credential": token})
    assert response.status_code == 201, response.text
    return certificate_id(token), slot["index"]


def test_bits_follow_the_status_chain(client: TestClient, body: Certifier) -> None:
    certificate, index = _issue(client, body)
    assert not _bit(client, "suspension", index)
    size_before = client.get("/v1/log/checkpoint").json()["tree_size"]
    suspended = body.status_event(certificate, 1, certificate, "suspended")
    assert client.post(f"/v1/certificates/{certificate}/events", json={"event": suspended}).status_code == 201
    assert _bit(client, "suspension", index)
    assert not _bit(client, "revocation", index)
    assert not _bit(client, "suspension", index, tree_size=size_before)  # as it stood at that checkpoint
    withdrawn = body.status_event(
        certificate, 2, certificate_id(suspended), "withdrawn", effectiveAt="2025-04-01T00:00:00Z"
    )
    assert client.post(f"/v1/certificates/{certificate}/events", json={"event": withdrawn}).status_code == 201
    assert _bit(client, "revocation", index)
    assert not _bit(client, "suspension", index)


def test_a_list_is_the_programmes_credential_signed_by_the_key_its_did_document_names(
    client: TestClient, body: Certifier
) -> None:
    _issue(client, body)
    token = client.get(f"{LIST}/revocation/0").text
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["typ"] == "vc+jwt"
    document = client.get("/programmes/eu-ecolabel/did.json").json()
    method = next(m for m in document["verificationMethod"] if m["id"] == header["kid"])
    assert header["kid"] in document["assertionMethod"]
    x = method["publicKeyJwk"]["x"]
    verify_compact(token, PublicKey(kid=header["kid"], raw=base64.urlsafe_b64decode(x + "=")))
    payload = _payload(token)
    assert payload["issuer"] == payload["iss"] == DID
    assert payload["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert payload["credentialSubject"]["statusPurpose"] == "revocation"
    assert len(decode_list(payload["credentialSubject"]["encodedList"])) * 8 == LIST_SIZE


def test_an_unchanged_list_is_not_sent_again(client: TestClient, body: Certifier) -> None:
    _issue(client, body)
    first = client.get(f"{LIST}/suspension/0")
    assert client.get(f"{LIST}/suspension/0").text == first.text
    again = client.get(f"{LIST}/suspension/0", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    pinned = client.get(f"{LIST}/suspension/0", params={"tree_size": 2})
    assert "immutable" in pinned.headers["cache-control"]


def test_a_slot_already_held_is_refused(client: TestClient, body: Certifier) -> None:
    _, index = _issue(client, body)
    token = body.credential("IT/044/006", credentialStatus=credential_status(BASE, "eu-ecolabel", index))
    response = client.post("/v1/certificates", json={"credential": token})
    assert (response.status_code, response.json()["code"]) == (409, "STATUS_INDEX_TAKEN")


def test_two_credentials_of_one_batch_cannot_share_a_slot(client: TestClient, body: Certifier) -> None:
    status = credential_status(BASE, "eu-ecolabel", 7)
    tokens = [body.credential(licence, credentialStatus=status) for licence in ("IT/044/007", "IT/044/008")]
    results = client.post("/v1/certificates/batch", json={"credentials": tokens}).json()["results"]
    assert [result["outcome"] for result in results] == ["accepted", "rejected"]
    assert results[1]["problem"]["code"] == "STATUS_INDEX_TAKEN"


def test_free_slots_skip_the_ones_held(client: TestClient, body: Certifier) -> None:
    _, index = _issue(client, body)
    slots = client.get(f"{LIST}/free", params={"count": 3}).json()["slots"]
    assert index not in [slot["index"] for slot in slots]
    assert len({slot["index"] for slot in slots}) == 3


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (credential_status(BASE, "eu-ecolabel", 0)[:1] * 2, "STATUS_PURPOSE_REPEATED"),
        (
            [{**credential_status(BASE, "eu-ecolabel", 0)[0], "statusListIndex": str(LIST_SIZE)}],
            "STATUS_INDEX_OUT_OF_RANGE",
        ),
        (credential_status("https://elsewhere.example", "eu-ecolabel", 0), "STATUS_LIST_FOREIGN"),
        (credential_status(BASE, "nordic-swan", 0), "STATUS_LIST_FOREIGN"),
        ([{**credential_status(BASE, "eu-ecolabel", 0)[0], "statusPurpose": "suspension"}], "STATUS_LIST_FOREIGN"),
    ],
)
def test_a_slot_outside_this_programmes_lists_is_refused(
    client: TestClient, body: Certifier, status: list[dict[str, str]], code: str
) -> None:
    response = client.post("/v1/certificates", json={"credential": body.credential(credentialStatus=status)})
    assert (response.status_code, response.json()["code"]) == (422, code)


def test_an_index_written_with_a_leading_zero_is_refused(client: TestClient, body: Certifier) -> None:
    status = [{**credential_status(BASE, "eu-ecolabel", 7)[0], "statusListIndex": "07"}]
    response = client.post("/v1/certificates", json={"credential": body.credential(credentialStatus=status)})
    assert response.status_code == 422
    assert response.json()["code"] == "PAYLOAD_INVALID"


def test_an_unknown_programme_has_no_list(client: TestClient) -> None:
    assert client.get("/v1/programmes/no-such/status-lists/revocation/0").status_code == 404


def test_a_credential_signed_with_the_registrys_status_list_key_is_refused(
    client: TestClient, body: Certifier, settings: Settings
) -> None:
    """The programme's DID document lists the registry's key (it signs the lists); it signs no certificate."""
    registry_key = load_signing_key(settings.signing_key_path)
    document = client.get("/programmes/eu-ecolabel/did.json").json()
    kid = next(m["id"] for m in document["verificationMethod"] if "#registry-" in m["id"])
    payload = body.credential_payload(issuer=DID)
    token = sign_compact(dumps_canonical(payload), registry_key, kid, "vc+jwt")
    response = client.post("/v1/certificates", json={"credential": token})
    assert (response.status_code, response.json()["code"]) == (422, "UNKNOWN_KID")


def test_a_list_at_a_tree_size_holds_exactly_the_events_logged_below_it(
    client: TestClient, body: Certifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    certificate, index = _issue(client, body)
    # A clock that stands still: every later append carries the same log time (it never goes backwards).
    frozen = time.time_ns() // 1000 + 1_000_000
    monkeypatch.setattr(log_service, "_now_us", lambda: frozen)
    suspended = body.status_event(certificate, 1, certificate, "suspended")
    first = client.post(f"/v1/certificates/{certificate}/events", json={"event": suspended})
    reinstated = body.status_event(
        certificate, 2, certificate_id(suspended), "reinstated", effectiveAt="2025-04-01T00:00:00Z"
    )
    second = client.post(f"/v1/certificates/{certificate}/events", json={"event": reinstated})
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    leaves = [response.json()["receipt"]["leaf_index"] for response in (first, second)]
    assert leaves[0] < leaves[1]
    history = client.get(f"/v1/certificates/{certificate}").json()["history"]
    assert [event["leaf_index"] for event in history] == leaves
    assert history[0]["integrated_at"] == history[1]["integrated_at"]  # one log time for both leaves
    assert not _bit(client, "suspension", index, tree_size=leaves[0])  # before the suspension's leaf
    assert _bit(client, "suspension", index, tree_size=leaves[0] + 1)
    assert _bit(client, "suspension", index, tree_size=leaves[1])  # the reinstatement, same log time, not yet
    assert not _bit(client, "suspension", index, tree_size=leaves[1] + 1)
    assert not _bit(client, "suspension", index)
