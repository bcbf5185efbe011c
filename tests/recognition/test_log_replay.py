"""A log monitor re-verifies agreements, signatures and agreement events with the keys the log taught it."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from tests.recognition.world import both_ways, conclude, post_event, signatory
from verification.ed25519 import generate_private_key
from verification.errors import KeyNotValid, SignatureInvalid
from verification.leaf import DocumentKind, LogEntry, format_log_time, parse_log_time
from verification.replay import DocumentReplay


def _entries(client: TestClient) -> list[LogEntry]:
    return [
        LogEntry(
            leaf_index=item["leaf_index"],
            kind=DocumentKind(item["kind"]),
            integrated_us=parse_log_time(item["integrated_at"]),
            leaf_hash=base64.b64decode(item["leaf_hash"]),
            document_sha256=bytes.fromhex(item["document_sha256"]),
            document=item["document"].encode("ascii") if item["document"] is not None else None,
        )
        for item in client.get("/v1/log/entries", params={"limit": 1000}).json()["entries"]
    ]


def test_the_monitor_replays_every_agreement_document(client: TestClient, admin_headers: dict[str, str]) -> None:
    cec, jea = signatory(client, admin_headers, "cec"), signatory(client, admin_headers, "jea")
    agreement_id = conclude(client, cec, [jea], cec.agreement(["cec", "jea"], both_ways("cec", "A", "jea", "B")))
    post_event(client, agreement_id, jea.event(agreement_id, 1, agreement_id, "terminated", "2026-01-01T00:00:00Z"))
    entries = _entries(client)
    assert {DocumentKind.AGREEMENT, DocumentKind.AGREEMENT_SIGNATURE, DocumentKind.AGREEMENT_EVENT} <= {
        entry.kind for entry in entries
    }
    replay = DocumentReplay()
    for entry in entries:
        replay.check(entry)


def test_a_forged_agreement_in_the_log_is_caught(client: TestClient, admin_headers: dict[str, str]) -> None:
    cec = signatory(client, admin_headers, "cec")
    signatory(client, admin_headers, "jea")
    entries = _entries(client)
    forged = cec.sign(
        cec.agreement_payload(["cec", "jea"], both_ways("cec", "A", "jea", "B")),
        "ecolabel-agreement+jwt",
        key=generate_private_key(),
    )
    replay = DocumentReplay()
    for entry in entries:
        replay.check(entry)
    planted = replace(entries[-1], leaf_index=len(entries), kind=DocumentKind.AGREEMENT, document=forged.encode())
    with pytest.raises(SignatureInvalid):
        replay.check(planted)


def test_an_agreement_signed_with_a_revoked_key_is_caught(client: TestClient, admin_headers: dict[str, str]) -> None:
    cec, jea = signatory(client, admin_headers, "cec"), signatory(client, admin_headers, "jea")
    conclude(client, cec, [jea], cec.agreement(["cec", "jea"], both_ways("cec", "A", "jea", "B")))
    registrations, (agreement, signature) = _entries(client)[:-2], _entries(client)[-2:]
    replay = DocumentReplay()
    for entry in registrations:
        replay.check(entry)
    # An edited history: cec's key revoked as compromised before the agreement was logged.
    revocation = cec.key_event("revoke", kid=cec.kid, compromisedSince=format_log_time(agreement.integrated_us - 2))
    replay.check(
        replace(
            registrations[-1],
            kind=DocumentKind.KEY_EVENT,
            integrated_us=agreement.integrated_us - 1,
            document=revocation.encode("ascii"),
        )
    )
    with pytest.raises(KeyNotValid, match="SIGNING_KEY_REVOKED"):
        replay.check(agreement)
    replay.check(signature)  # jea's signature is unaffected
