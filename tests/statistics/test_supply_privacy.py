"""Supply-chain links in open data: an attacker with every published aggregate cannot recover one
organisation's links, neither by differencing dates nor groupings (docs/SECURITY.md, "Supply chain")."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.statistics.supply import LinkFact, country_pairs
from tests.registry.conftest import admin_headers  # noqa: F401  (a fixture)
from tests.supply.world import Org, Supply

MONTHS = ("2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07")


@pytest.fixture
def supply(client: TestClient, admin_headers: dict[str, str]) -> Supply:  # noqa: F811  (the fixture above)
    return Supply(client, admin_headers)


def test_a_cell_of_one_organisations_links_is_never_published_however_many_links() -> None:
    one_buyer = [LinkFact("buyer", "NZ", f"supplier-{i}", "CN") for i in range(50)]
    one_supplier = [LinkFact(f"buyer-{i}", "NZ", "supplier", "CN") for i in range(50)]
    four_each = [LinkFact(f"buyer-{i}", "NZ", f"supplier-{j}", "CN") for i in range(4) for j in range(4)]
    five_each = [LinkFact(f"buyer-{i}", "NZ", f"supplier-{i}", "CN") for i in range(5)]
    assert country_pairs(one_buyer) == []
    assert country_pairs(one_supplier) == []
    assert country_pairs(four_each) == []
    assert [(c.supplier_country, c.buyer_country, c.links) for c in country_pairs(five_each)] == [("CN", "NZ", 5)]


def _scenario(supply: Supply, country: str, suppliers: list[Org], rare: Org, *, target_gains: bool) -> Org:
    """Six buyers in `country` with two confirmed links each from `suppliers`; a target buyer whose only
    link from the rare country's supplier runs all along. In March one more link from a supplier starts:
    the target's own (`target_gains`) or, in the twin world, an ordinary buyer's."""
    crowd = [supply.organisation(f"{country} buyer {i}", country) for i in range(6)]
    for i, buyer in enumerate(crowd):
        for supplier in (suppliers[i], suppliers[(i + 1) % len(suppliers)]):
            supply.link(buyer, supplier, valid_from="2024-01-01")
    target = supply.organisation(f"{country} target", country)
    supply.link(target, rare, valid_from="2024-01-01")
    supply.declare(target, suppliers[3], valid_from="2024-01-01")  # declared, never confirmed: not counted
    gainer = target if target_gains else crowd[0]
    supply.link(gainer, suppliers[5], valid_from="2024-03-01", valid_to="2024-06-01", material="pulp")
    return target


def _published(client: TestClient) -> dict[str, dict[tuple[str, str], int]]:
    seen = {}
    for month in MONTHS:
        answer = client.get("/v1/statistics/supply-links", params={"month": month})
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        assert body["minimum_group"] == 5
        assert set(body) == {"checkpoint", "month", "minimum_group", "items"}  # no totals, no margins
        seen[month] = {(i["supplier_country"], i["buyer_country"]): i["links"] for i in body["items"]}
    return seen


def test_differencing_published_aggregates_across_dates_and_groupings_recovers_no_organisations_links(
    supply: Supply, client: TestClient
) -> None:
    suppliers = [supply.organisation(f"CN supplier {i}", "CN") for i in range(6)]
    rare = supply.organisation("MN supplier", "MN")
    # Two twin worlds in one registry: in New Zealand the target gains the March link, in Australia an
    # ordinary buyer does. An attacker who can tell the worlds apart has learnt one organisation's link.
    _scenario(supply, "NZ", suppliers, rare, target_gains=True)
    _scenario(supply, "AU", suppliers, rare, target_gains=False)
    seen = _published(client)

    # Differencing across dates: the March link shows in both worlds alike, among six or seven buyers.
    nz = [seen[m].get(("CN", "NZ")) for m in MONTHS]
    au = [seen[m].get(("CN", "AU")) for m in MONTHS]
    assert nz == au == [None, 12, 12, 13, 13, 13, 12, 12]
    # Differencing across groupings: the target's only other link (from the rare country) is never a
    # figure, and nothing published covers it, so no subtraction can bring it back.
    assert all(("MN", c) not in cells for cells in seen.values() for c in ("NZ", "AU"))
    assert {pair for cells in seen.values() for pair in cells} == {("CN", "NZ"), ("CN", "AU")}
    for grouping in ("supplier_country", "buyer_country", "total"):
        answer = client.get("/v1/statistics/supply-links", params={"month": "2024-03", "group": grouping})
        assert answer.json()["items"] == [
            {"supplier_country": s, "buyer_country": b, "links": n} for (s, b), n in sorted(seen["2024-03"].items())
        ]
    # No other open-data answer mentions an organisation of the supply chain.
    for path in ("certificates", "agreements", "recognition-matrix", "cross-border-reach"):
        text = client.get(f"/v1/statistics/{path}").text
        assert "target" not in text
        assert "buyer" not in text
