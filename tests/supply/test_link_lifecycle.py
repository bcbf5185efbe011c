"""Declare, confirm, dispute: the buyer states a link, the supplier accepts it or objects (FSC claims practice)."""

from __future__ import annotations

import hashlib

from tests.supply.world import Supply, body, gs1


def test_declared_link_is_confirmed_by_its_supplier(supply: Supply) -> None:
    buyer, supplier = supply.organisation("Buyer"), supply.organisation("Supplier")
    declaration = supply.declaration(
        buyer,
        supplier,
        material="bleached kraft pulp",
        volume={"amount": 120.5, "unit": "t"},
        share=0.4,
        valid_from="2025-01-01",
        valid_to="2026-01-01T00:00:00Z",
        occurred_at="2024-12-15",
        evidence=[{"kind": "invoice", "reference": "INV-2024-0042"}, {"kind": "document", "sha256": "ab" * 32}],
    )
    sent = body(declaration)
    response = supply.client.post("/v1/supply-links", content=sent, headers={**buyer.headers, **supply_json()})
    assert response.status_code == 201, response.text
    link = response.json()["link"]
    assert link["id"] == hashlib.sha256(sent).hexdigest()
    assert link["state"] == "declared"
    assert link["supplier_id"] == supplier.id
    assert link["valid_from"] == "2025-01-01T00:00:00.000000Z"
    assert link["valid_to"] == "2026-01-01T00:00:00.000000Z"
    assert link["occurred_at"] == "2024-12-15T00:00:00.000000Z"
    assert link["recorded_at"] != link["occurred_at"]
    assert response.json()["receipt"]["kind"] == "supply_chain"

    confirmed = supply.confirm(supplier, link)
    assert confirmed.status_code == 201, confirmed.text
    after = confirmed.json()["link"]
    assert after["state"] == "confirmed"
    assert [e["action"] for e in after["events"]] == ["confirmed"]
    assert after["next_event"]["previous"] == after["events"][0]["sha256"]

    disputed = supply.dispute(supplier, after, reason="volume was 12 t, not 120.5 t")
    assert disputed.status_code == 201, disputed.text
    assert disputed.json()["link"]["state"] == "disputed"
    assert disputed.json()["link"]["state_reason"] == "volume was 12 t, not 120.5 t"

    read = supply.client.get(f"/v1/supply-links/{link['id']}", headers=buyer.headers)
    assert read.status_code == 200
    assert [e["action"] for e in read.json()["events"]] == ["confirmed", "disputed"]


def test_supplier_finds_declarations_waiting_for_it(supply: Supply) -> None:
    buyer, supplier = supply.organisation("Buyer"), supply.organisation("Supplier")
    link = supply.declare(buyer, supplier)
    waiting = supply.client.get(
        f"/v1/organisations/{supplier.id}/supply-links",
        params={"role": "supplier", "state": "declared"},
        headers=supplier.headers,
    )
    assert waiting.status_code == 200
    assert [item["id"] for item in waiting.json()["items"]] == [link["id"]]
    as_buyer = supply.client.get(f"/v1/organisations/{buyer.id}/supply-links", headers=buyer.headers)
    assert [item["id"] for item in as_buyer.json()["items"]] == [link["id"]]


def test_supplier_named_by_identifier_and_facility_by_gln(supply: Supply) -> None:
    buyer, supplier = supply.organisation("Buyer"), supply.organisation("Supplier")
    gln = gs1("735000987654")
    facility = supply.post(
        "/v1/facilities",
        {
            "type": "Facility",
            "organisation_id": supplier.id,
            "name": "Mill 2",
            "address": "Bruksvägen 1, Skutskär",
            "country": "SE",
            "coordinates": {"latitude": 60.63, "longitude": 17.41},
            "gln": gln,
        },
        supplier.headers,
    )
    assert facility.status_code == 201, facility.text
    link = supply.declare(
        buyer,
        supplier,
        supplier={"identifier": supplier.identifiers[0]},
        supplier_facility={"gln": gln},
        material="pulp",
    )
    assert link["supplier_id"] == supplier.id
    assert link["supplier_facility_id"] == facility.json()["facility"]["id"]


def supply_json() -> dict[str, str]:
    return {"content-type": "application/json"}
