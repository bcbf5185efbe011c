"""A small registry with one of everything a tampering could hide: a withdrawn certificate, a revoked key
with a certificate it signed after its compromise, an agreement with a suspension."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi.testclient import TestClient

from tests.recognition.world import Signatory, both_ways, conclude, post_event, signatory
from tests.registry.factories import certificate_id
from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey


@dataclass
class World:
    withdrawn: str  # a certificate withdrawn by a status event
    active: str  # a certificate with no event
    compromised: str  # signed by a key revoked with compromisedSince before it was logged
    revoked_kid: str
    agreement: str  # suspended by an event of `cec`
    cec: Signatory


def build(client: TestClient, admin_headers: dict[str, str]) -> World:
    cec, jea = signatory(client, admin_headers, "cec"), signatory(client, admin_headers, "jea")
    cec.define(client, "044")
    jea.define(client, "flooring")
    withdrawn = cec.certificate(client, "CEC-044-0001", "044")
    event = cec.status_event(withdrawn, 1, withdrawn, status="withdrawn", effectiveAt="2025-03-01T00:00:00Z")
    posted = client.post(f"/v1/certificates/{withdrawn}/events", json={"event": event})
    assert posted.status_code == 201, posted.text
    active = cec.certificate(client, "CEC-044-0002", "044")

    agreement = conclude(client, cec, [jea], cec.agreement(["cec", "jea"], both_ways("cec", "044", "jea", "flooring")))
    suspended = post_event(client, agreement, cec.event(agreement, 1, agreement, "suspended", "2025-01-01T00:00:00Z"))
    assert suspended["status_code"] == 201, suspended

    cec.keys["spare"] = generate_private_key()
    jwk = PublicKey.from_private_key(cec.keys["spare"], kid="spare").to_jwk()
    added = client.post("/v1/programmes/cec/key-events", json={"event": cec.key_event("add", key=jwk)})
    assert added.status_code == 201, added.text
    token = cec.sign(cec.credential_payload("CEC-044-0003"), "vc+jwt", kid="spare")
    accepted = client.post("/v1/certificates", json={"credential": token})
    assert accepted.status_code == 201, accepted.text
    compromised = certificate_id(token)
    since = client.get(f"/v1/certificates/{compromised}").json()["integrated_at"]
    time.sleep(0.002)
    revoke = cec.key_event("revoke", kid="spare", compromisedSince=since)
    revoked = client.post("/v1/programmes/cec/key-events", json={"event": revoke})
    assert revoked.status_code == 201, revoked.text
    return World(withdrawn, active, compromised, "spare", agreement, cec)
