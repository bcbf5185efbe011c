"""GET /v1/me: a token learns whose chains it may read, and nothing about anyone else's."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.supply.world import Supply


def test_an_auditor_sees_exactly_the_chains_granted_to_it(supply: Supply, client: TestClient) -> None:
    buyer = supply.organisation("Public Buyer Agency (demo)")
    other = supply.organisation("Unrelated Retailer (demo)")
    auditor = supply.organisation("Green Audit Ltd (demo)")
    supply.grant(buyer, auditor)

    me = client.get("/v1/me", headers=auditor.headers).json()
    assert me["operator"] is False
    assert me["organisation"] == {"id": auditor.id, "name": "Green Audit Ltd (demo)"}
    readable = {(r["organisation_id"], r["via"]) for r in me["readable"]}
    assert readable == {(auditor.id, "own"), (buyer.id, "auditor_grant")}
    assert other.id not in {r["organisation_id"] for r in me["readable"]}

    others_view = client.get("/v1/me", headers=other.headers).json()
    assert [r["organisation_id"] for r in others_view["readable"]] == [other.id]


def test_a_revoked_grant_is_no_longer_listed(supply: Supply, client: TestClient) -> None:
    buyer = supply.organisation("Public Buyer Agency (demo)")
    auditor = supply.organisation("Green Audit Ltd (demo)")
    grant = supply.grant(buyer, auditor)
    revoked = supply.post(
        f"/v1/organisations/{buyer.id}/auditor-grants/{grant['id']}/revocation",
        {"type": "AuditorGrantRevocation", "grant": grant["id"]},
        buyer.headers,
    )
    assert revoked.status_code == 200, revoked.text
    me = client.get("/v1/me", headers=auditor.headers).json()
    assert [r["organisation_id"] for r in me["readable"]] == [auditor.id]


def test_the_operator_is_told_it_reads_everything(client: TestClient, admin_headers: dict[str, str]) -> None:
    assert client.get("/v1/me", headers=admin_headers).json() == {
        "operator": True,
        "organisation": None,
        "scopes": [],
        "readable": [],
    }


def test_without_a_valid_token_there_is_no_answer(client: TestClient) -> None:
    assert client.get("/v1/me").status_code == 401
    assert client.get("/v1/me", headers={"Authorization": "Bearer elr_0000000000000000_forged"}).status_code == 401
