"""Ingest and every standing share one memo of verified credentials (`verification.standing`).

A credential verified at ingest is not verified again by its first standing; bytes altered in the
table after ingest are still caught, since the memo is keyed by the SHA-256 of the bytes read.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.registry.factories import certifier
from verification import documents, jws, standing
from verification.b64 import b64url_decode
from verification.strictjson import loads_strict


def _refuse_to_verify(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("the credential was verified a second time")


def test_a_credential_verified_at_ingest_is_not_verified_again(
    client: TestClient, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = certifier(client, admin_headers)
    token = body.credential()
    monkeypatch.setattr(standing, "verify_compact", _refuse_to_verify)  # ingest verifies by its own door
    assert client.post("/v1/certificates", json={"credential": token}).status_code == 201
    certificate_id = hashlib.sha256(token.encode("ascii")).hexdigest()

    answer = client.get(f"/v1/verify/certificates/{certificate_id}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["decision"] == "valid"


def test_bytes_altered_after_ingest_are_caught_despite_the_memo(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = certifier(client, admin_headers)
    token = body.credential()
    assert client.post("/v1/certificates", json={"credential": token}).status_code == 201
    certificate_id = hashlib.sha256(token.encode("ascii")).hexdigest()
    other = body.credential("IT/044/006")  # another valid credential of the same programme and key
    engine = client.app.state.registry.engine  # type: ignore[attr-defined]  # the app's own context
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE log_entries SET document = :d"
                " WHERE leaf_index = (SELECT leaf_index FROM certificates WHERE id = :c)"
            ),
            {"d": other.encode("ascii"), "c": certificate_id},
        )
    answer = client.get(f"/v1/verify/certificates/{certificate_id}").json()
    assert answer["decision"] != "valid"
    assert standing.DOCUMENT_ALTERED in str(answer)


def test_a_submitted_credential_is_decoded_once(
    client: TestClient, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its header and payload are each parsed strictly one time, and that parse is what the rate limiter,
    storage, the memo and the answer use."""
    body = certifier(client, admin_headers)
    token = body.credential()
    parsed: list[bytes] = []

    def counted(data: bytes, **limits: Any) -> Any:
        parsed.append(data)
        return loads_strict(data, **limits)

    for module in (documents, jws, standing):
        monkeypatch.setattr(module, "loads_strict", counted)
    assert client.post("/v1/certificates", json={"credential": token}).status_code == 201
    header, payload, _ = token.split(".")
    assert sorted(parsed) == sorted([b64url_decode(header), b64url_decode(payload)])
