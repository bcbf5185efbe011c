"""Submitting certificates: accepted once, idempotent, re-issued only explicitly, forgeries refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import Certifier, certificate_id, certifier
from verification.canonical import dumps_canonical
from verification.ed25519 import generate_private_key
from verification.jws import sign_compact
from verification.note import NoteVerifier
from verification.receipt import Receipt, verify_receipt


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "eu-ecolabel")


def _log_size(client: TestClient) -> int:
    size: int = client.get("/v1/log/checkpoint").json()["tree_size"]
    return size


def _certificate_count(client: TestClient) -> int:
    return len(client.get("/v1/certificates", params={"limit": 500}).json()["items"])


def test_a_certificate_is_registered_with_a_receipt_for_its_exact_bytes(client: TestClient, body: Certifier) -> None:
    token = body.credential("IT/044/005")
    response = client.post("/v1/certificates", json={"credential": token})
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["created"] is True
    certificate = answer["certificate"]
    assert certificate["id"] == hashlib.sha256(token.encode()).hexdigest()
    assert certificate["licence_number"] == "IT/044/005"
    assert certificate["products"][0]["gtin"] == "04006381333931"
    assert certificate["holder"]["identifiers"] == [{"scheme": "LEI", "value": "5493001KJTIIGC8Y1R12"}]
    assert certificate["status"] == "active"
    key = NoteVerifier.from_string(client.get("/.well-known/ecolabel-registry").json()["checkpoint_verifier_key"])
    verify_receipt(Receipt.from_dict(answer["receipt"]), token.encode(), key)
    detail = client.get(f"/v1/certificates/{certificate['id']}").json()
    assert detail["credential"] == token


def test_resubmitting_the_same_credential_returns_the_same_certificate_and_receipt(
    client: TestClient, body: Certifier
) -> None:
    token = body.credential()
    first = client.post("/v1/certificates", json={"credential": token}).json()
    client.post("/v1/certificates", json={"credential": body.credential("IT/044/006")})
    again = client.post("/v1/certificates", json={"credential": token})
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["receipt"] == first["receipt"]
    assert again.json()["certificate"]["id"] == first["certificate"]["id"]


def test_a_new_credential_for_a_taken_licence_is_a_conflict_unless_it_supersedes(
    client: TestClient, body: Certifier
) -> None:
    original = body.credential("IT/044/005")
    client.post("/v1/certificates", json={"credential": original}).raise_for_status()
    renewed = body.credential("IT/044/005", validUntil="2030-12-31T00:00:00Z")
    conflict = client.post("/v1/certificates", json={"credential": renewed})
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "LICENCE_EXISTS"
    assert conflict.json()["current_certificate"] == certificate_id(original)

    wrong = body.credential("IT/044/005", supersedes="0" * 64, validUntil="2030-12-31T00:00:00Z")
    assert client.post("/v1/certificates", json={"credential": wrong}).json()["code"] == "SUPERSEDES_MISMATCH"

    reissue = body.credential("IT/044/005", supersedes=certificate_id(original), validUntil="2030-12-31T00:00:00Z")
    accepted = client.post("/v1/certificates", json={"credential": reissue})
    assert accepted.status_code == 201, accepted.text
    old = client.get(f"/v1/certificates/{certificate_id(original)}").json()
    assert old["superseded_by"] == certificate_id(reissue)
    assert accepted.json()["certificate"]["supersedes"] == certificate_id(original)


def test_a_batch_reports_each_item_and_a_bad_item_never_blocks_the_others(client: TestClient, body: Certifier) -> None:
    good = [body.credential(f"IT/044/{n:03d}") for n in range(10, 20)]
    existing = good[0]
    client.post("/v1/certificates", json={"credential": existing}).raise_for_status()
    forged = good[5][:-4] + ("AAAA" if not good[5].endswith("AAAA") else "BBBB")
    batch = [*good, forged, "not a jws", good[3], body.credential("IT/044/010", validUntil="2031-01-01T00:00:00Z")]
    size_before = _log_size(client)
    response = client.post("/v1/certificates/batch", json={"credentials": batch})
    assert response.status_code == 200, response.text
    result = response.json()
    outcomes = [item["outcome"] for item in result["results"]]
    assert outcomes == [
        "duplicate",
        *["accepted"] * 9,
        "rejected",
        "rejected",
        "duplicate",
        "rejected",
    ]
    assert (result["accepted"], result["duplicates"], result["rejected"]) == (9, 2, 3)
    problems = [item["problem"]["type"].rsplit(":", 1)[1] for item in result["results"] if item["problem"]]
    assert problems == ["signature-invalid", "document-invalid", "conflict"]
    assert _log_size(client) == size_before + 9
    assert result["results"][12]["receipt"] == result["results"][3]["receipt"]


def test_a_batch_of_a_thousand_is_accepted_in_one_request(client: TestClient, body: Certifier) -> None:
    batch = [body.credential(f"IT/044/{n:04d}") for n in range(1000)]
    response = client.post("/v1/certificates/batch", json={"credentials": batch})
    assert response.status_code == 200
    assert response.json()["accepted"] == 1000
    checkpoints = {item["receipt"]["checkpoint"] for item in response.json()["results"]}
    assert len(checkpoints) == 1, "one batch, one append, one signed checkpoint"


def test_every_batched_certificate_has_a_receipt_for_its_exact_bytes(client: TestClient, body: Certifier) -> None:
    """The log takes a batched credential's SHA-256 from its opening (`log.Document.signed`), not again:
    each leaf must still commit to the exact bytes received, and the id to their SHA-256."""
    batch = [body.credential(f"IT/044/{n:03d}") for n in range(30, 35)]
    response = client.post("/v1/certificates/batch", json={"credentials": batch})
    assert response.status_code == 200, response.text
    key = NoteVerifier.from_string(client.get("/.well-known/ecolabel-registry").json()["checkpoint_verifier_key"])
    for token, item in zip(batch, response.json()["results"], strict=True):
        assert item["certificate_id"] == hashlib.sha256(token.encode()).hexdigest()
        verify_receipt(Receipt.from_dict(item["receipt"]), token.encode(), key)


def test_a_batch_over_the_item_limit_is_refused_whole(client: TestClient, body: Certifier) -> None:
    token = body.credential()
    response = client.post("/v1/certificates/batch", json={"credentials": [token] * 1001})
    assert response.status_code == 400
    assert response.json()["code"] == "BATCH_TOO_LARGE"
    assert _certificate_count(client) == 0


def _tampered_payload(token: str, change: dict[str, object]) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(change)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _hs256_with_public_key(body: Certifier) -> str:
    public = body.keys[body.kid].public_key().public_bytes_raw()
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "kid": body.kid, "typ": "vc+jwt"}).encode())
    payload = base64.urlsafe_b64encode(dumps_canonical(body.credential_payload()))
    signing_input = header.rstrip(b"=") + b"." + payload.rstrip(b"=")
    mac = base64.urlsafe_b64encode(hmac.new(public, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    return (signing_input + b"." + mac).decode()


def _unsigned(body: Certifier) -> str:
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": body.kid, "typ": "vc+jwt"}).encode())
    payload = base64.urlsafe_b64encode(dumps_canonical(body.credential_payload()))
    return f"{header.rstrip(b'=').decode()}.{payload.rstrip(b'=').decode()}."


def _with_subject(body: Certifier, **subject_changes: object) -> str:
    payload = body.credential_payload()
    payload["credentialSubject"] = {**payload["credentialSubject"], **subject_changes}
    return body.sign(payload, "vc+jwt")


BAD_CREDENTIALS = {
    "unknown-kid": (
        lambda b: b.sign(b.credential_payload(), "vc+jwt", kid="nobody", key=generate_private_key()),
        422,
        "unknown-signing-key",
        "UNKNOWN_KID",
    ),
    "unregistered-programme": (
        lambda b: b.credential(issuer="urn:ecolabel:programme:no-such-body"),
        422,
        "unknown-signing-key",
        "UNKNOWN_PROGRAMME",
    ),
    "alg-none": (_unsigned, 422, "algorithm-refused", "ALG_NONE"),
    "hs256-public-key-as-secret": (_hs256_with_public_key, 422, "algorithm-refused", "ALG_HMAC"),
    "payload-changed-after-signing": (
        lambda b: _tampered_payload(b.credential(), {"validUntil": "2099-01-01T00:00:00Z"}),
        422,
        "signature-invalid",
        "BAD_SIGNATURE",
    ),
    "wrong-typ": (
        lambda b: b.sign(b.credential_payload(), "ecolabel-status-event+jwt"),
        422,
        "document-invalid",
        "WRONG_TYP",
    ),
    "missing-required-field": (
        lambda b: b.sign({k: v for k, v in b.credential_payload().items() if k != "validUntil"}, "vc+jwt"),
        422,
        "document-invalid",
        "PAYLOAD_INVALID",
    ),
    "valid-until-before-valid-from": (
        lambda b: b.credential(validFrom="2026-01-01T00:00:00Z", validUntil="2025-01-01T00:00:00Z"),
        422,
        "document-invalid",
        "PAYLOAD_INVALID",
    ),
    "date-without-time-zone": (
        lambda b: b.credential(validFrom="2026-01-01T00:00:00"),
        422,
        "document-invalid",
        "PAYLOAD_INVALID",
    ),
    "gtin-wrong-check-digit": (
        lambda b: _with_subject(b, products=[{"name": "Paint", "gtin": "4006381333932"}]),
        422,
        "document-invalid",
        "PAYLOAD_INVALID",
    ),
    "unknown-country": (lambda b: _with_subject(b, markets=["XX"]), 422, "document-invalid", "PAYLOAD_INVALID"),
    "lei-wrong-check-digits": (
        lambda b: _with_subject(
            b,
            holder={"name": "X", "country": "IT", "identifiers": [{"scheme": "LEI", "value": "5493001KJTIIGC8Y1R13"}]},
        ),
        422,
        "document-invalid",
        "PAYLOAD_INVALID",
    ),
    "duplicate-keys-inside-the-signed-payload": (
        lambda b: sign_compact(
            dumps_canonical(b.credential_payload())[:-1] + b',"issuer":"urn:ecolabel:programme:other"}',
            b.keys[b.kid],
            b.kid,
            "vc+jwt",
        ),
        422,
        "document-invalid",
        "DUPLICATE_KEY",
    ),
    "not-a-vc": (lambda b: b.credential(type=["VerifiableCredential"]), 422, "document-invalid", "PAYLOAD_INVALID"),
    "undefined-category": (
        lambda b: _with_subject(b, category={"code": "999", "criteriaVersion": "1"}),
        422,
        "unknown-category",
        "UNKNOWN_CATEGORY",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CREDENTIALS))
def test_a_bad_credential_is_refused_with_a_precise_problem_and_nothing_is_stored(
    client: TestClient, body: Certifier, case: str
) -> None:
    make, status, slug, code = BAD_CREDENTIALS[case]
    size_before = _log_size(client)
    response = client.post("/v1/certificates", json={"credential": make(body)})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"urn:ecolabel-registry:problem:{slug}"
    assert response.json()["code"] == code
    assert _log_size(client) == size_before
    assert _certificate_count(client) == 0


def test_a_key_of_another_programme_cannot_sign_for_this_one(
    client: TestClient, body: Certifier, admin_headers: dict[str, str]
) -> None:
    other = certifier(client, admin_headers, "nordic-swan")
    token = other.sign(body.credential_payload(), "vc+jwt")  # issuer eu-ecolabel, kid of nordic-swan's key
    response = client.post("/v1/certificates", json={"credential": token})
    assert response.status_code == 422
    assert response.json()["code"] == "UNKNOWN_KID"
    same_kid = body.sign(body.credential_payload(), "vc+jwt", key=other.keys[other.kid])  # right kid, wrong key
    assert client.post("/v1/certificates", json={"credential": same_kid}).json()["code"] == "BAD_SIGNATURE"
    assert _certificate_count(client) == 0


@pytest.mark.parametrize(
    ("content", "status", "slug"),
    [
        (b'{"credential": "a", "credential": "b"}', 400, "malformed-json"),
        (b'{"credential": "\xff"}', 400, "malformed-json"),
        (b'{"credential": ' + b'"' + b"a" * (2 * 1024 * 1024) + b'"}', 413, "payload-too-large"),
        (b'{"credentials": []}', 422, "validation-failed"),
    ],
    ids=["duplicate-keys", "invalid-utf8", "over-the-limit", "wrong-shape"],
)
def test_a_bad_request_body_is_refused_before_anything_is_verified(
    client: TestClient, body: Certifier, content: bytes, status: int, slug: str
) -> None:
    response = client.post("/v1/certificates", content=content, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert response.json()["type"] == f"urn:ecolabel-registry:problem:{slug}"
