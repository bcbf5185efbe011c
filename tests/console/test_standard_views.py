"""The certificate page shows what a standard verifier uses: the DID, the status-list entries, the UNTP view."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.console.world import World
from verification.status_list import credential_status

BASE = "https://registry.test"


def test_the_certificate_page_links_the_did_the_status_entries_and_the_untp_view(
    client: TestClient, seeded: World
) -> None:
    programme = seeded.cec.programme_id
    status = credential_status(BASE, programme, 42)
    payload = seeded.cec.credential_payload("STD-1", credentialStatus=status)
    payload["credentialSubject"]["category"] = {"code": "HJ 2536", "criteriaVersion": "2024"}
    created = client.post("/v1/certificates", json={"credential": seeded.cec.sign(payload, "vc+jwt")})
    assert created.status_code == 201, created.text
    certificate = created.json()["certificate"]["id"]
    page = client.get(f"/console/certificates/{certificate}?lang=en").text
    assert f"did:web:registry.test:programmes:{programme}" in page
    assert f'href="/programmes/{programme}/did.json"' in page
    assert f'href="/v1/programmes/{programme}/status-lists/revocation/0"' in page
    assert "suspension list, index 42" in page
    assert f'href="/v1/certificates/{certificate}/untp-dcc"' in page
    for link in (f"/programmes/{programme}/did.json", f"/v1/certificates/{certificate}/untp-dcc"):
        assert client.get(link).status_code == 200


def test_a_credential_without_status_entries_says_so(client: TestClient, seeded: World) -> None:
    payload = seeded.cec.credential_payload("STD-2")
    payload["credentialSubject"]["category"] = {"code": "HJ 2536", "criteriaVersion": "2024"}
    created = client.post("/v1/certificates", json={"credential": seeded.cec.sign(payload, "vc+jwt")})
    page = client.get(f"/console/certificates/{created.json()['certificate']['id']}?lang=zh").text
    assert "该凭证早于状态列表" in page
