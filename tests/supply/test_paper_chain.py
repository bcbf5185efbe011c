"""The office-paper chain from pulp mill to public buyer: tiers, statuses, the audit report and the impact."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.app import create_app
from ecolabel_registry.settings import Settings
from ecolabel_registry.supply.answers import SupplyChain
from tests.supply import paper_chain
from tests.supply.paper_chain import AS_OF, REAM_GTIN, PaperChain
from tests.supply.world import Supply


@pytest.fixture
def world(supply: Supply, admin_headers: dict[str, str]) -> PaperChain:
    return paper_chain.build(supply, admin_headers)


def _nodes(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["organisation_id"]: node for node in answer["nodes"]}


def test_upstream_tiers_statuses_and_the_cycle(supply: Supply, world: PaperChain) -> None:
    answer = supply.chain(world.buyer, as_of=AS_OF)
    nodes = _nodes(answer)
    w = world
    assert {o: nodes[o]["tier"] for o in nodes} == {
        w.buyer.id: 0,
        w.distributor.id: 1,
        w.toner.id: 1,
        w.converter.id: 2,
        w.paper_mill.id: 3,
        w.pulp_mill.id: 4,
    }
    assert w.old_pulp_mill.id not in nodes  # its link ended on 2025-01-01
    assert nodes[w.pulp_mill.id]["path"] == [
        w.buyer.id,
        w.distributor.id,
        w.converter.id,
        w.paper_mill.id,
        w.pulp_mill.id,
    ]
    assert {o: nodes[o]["certification"] for o in nodes} == {
        w.buyer.id: "not_certified",
        w.distributor.id: "not_certified",
        w.toner.id: "unknown",
        w.converter.id: "certified",
        w.paper_mill.id: "certified",
        w.pulp_mill.id: "not_certified",
    }
    assert [c["status"] for c in nodes[w.pulp_mill.id]["certificates"]] == ["suspended"]
    assert [c["licence_number"] for c in nodes[w.converter.id]["certificates"]] == ["3041-0457"]
    assert answer["cycles"] == [
        {
            "organisations": [w.converter.id, w.paper_mill.id, w.converter.id],
            "closing_link": w.links["converter>paper_mill"]["id"],
        }
    ]
    links = {link["id"]: link for link in answer["links"]}
    assert len(links) == 6
    ream = links[w.links["distributor>buyer"]["id"]]
    assert (ream["tier"], ream["coverage"], ream["product"]["gtin"]) == (1, "certified", "0" + REAM_GTIN)
    assert [c["licence_number"] for c in ream["product_certificates"]] == ["3041-0457"]
    assert links[w.links["pulp_mill>paper_mill"]["id"]]["coverage"] == "not_certified"
    assert answer["truncated"] is False
    # The endpoint encodes plain data for speed: it must be exactly what the documented model says.
    assert SupplyChain.model_validate(answer).model_dump(mode="json") == answer


def test_depth_limits_the_chain_and_says_so(supply: Supply, world: PaperChain) -> None:
    answer = supply.chain(world.buyer, as_of=AS_OF, depth=2)
    assert {node["tier"] for node in answer["nodes"]} == {0, 1, 2}
    assert answer["truncated"] is True
    assert answer["cycles"] == []


def test_the_audit_report_of_the_public_buyer(supply: Supply, world: PaperChain) -> None:
    w = world
    response = supply.client.get(
        f"/v1/organisations/{w.buyer.id}/audit",
        params={"as_of": AS_OF, "from": "2024-06-01", "to": AS_OF},
        headers=w.buyer.headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    tiers = {t["tier"]: t for t in report["tiers"]}
    counts = {n: (t["suppliers"], t["certified"], t["not_certified"], t["unknown"]) for n, t in tiers.items()}
    assert counts == {1: (2, 0, 1, 1), 2: (1, 1, 0, 0), 3: (1, 1, 0, 0), 4: (1, 0, 1, 0)}
    assert tiers[1]["share_certified"] == 0.0
    assert tiers[2]["share_certified"] == 1.0
    # By volume: the ream reaches the buyer through an uncertified distributor, but the converter's Nordic
    # Swan licence lists its GTIN, so the 12 t are covered. The toner link has a share and no volume.
    assert tiers[1]["by_volume"] == [
        {
            "unit": "t",
            "total": 12.0,
            "certified": 12.0,
            "not_certified": 0.0,
            "unknown": 0.0,
            "unconfirmed": 0.0,
            "share_certified": 1.0,
        }
    ]
    assert tiers[1]["links_without_volume"] == 1
    # The toner supplier is reached only through its unconfirmed link: unknown, and counted apart.
    assert (tiers[1]["unconfirmed"], tiers[1]["unconfirmed_links"]) == (1, 1)
    # The converter is certified, but it disputes the offcut link: those 0.5 t are unknown, not covered.
    assert tiers[4]["by_volume"] == [
        {
            "unit": "t",
            "total": 11.5,
            "certified": 0.0,
            "not_certified": 11.0,
            "unknown": 0.5,
            "unconfirmed": 0.5,
            "share_certified": 0.0,
        }
    ]
    assert (tiers[4]["unconfirmed"], tiers[4]["unconfirmed_links"]) == (0, 1)

    expiring = report["expiring"]
    assert expiring["within_30_days"] == []
    assert [c["certificate_id"] for c in expiring["within_60_days"]] == [w.certificates["converter"]]
    assert expiring["within_60_days"] == expiring["within_90_days"]
    soonest = expiring["within_60_days"][0]
    assert (soonest["days_left"], soonest["organisation_ids"], soonest["gtins"]) == (
        49,
        [w.converter.id],
        ["0" + paper_chain.REAM_GTIN],
    )

    assert report["gaps"] == {
        "organisations_without_identifier": [w.toner.id],
        "unconfirmed_links": [w.links["toner>buyer"]["id"]],
        "disputed_links": [w.links["converter>paper_mill"]["id"]],
        "links_without_quantity": [],
        "links_without_evidence": sorted(
            w.links[name]["id"]
            for name in ("toner>buyer", "paper_mill>converter", "pulp_mill>paper_mill", "converter>paper_mill")
        ),
    }

    low_risk = report["low_risk"]
    assert low_risk["direct_suppliers"] == {"suppliers": 2, "low_risk": 0, "share": 0.0}
    assert low_risk["all_tiers"] == {"suppliers": 5, "low_risk": 1, "share": 0.2}
    reasons = {row["organisation_id"]: row["reasons"] for row in low_risk["suppliers"]}
    assert reasons == {
        w.distributor.id: ["NO_ACTIVE_CERTIFICATE"],
        w.toner.id: ["NO_VERIFIED_IDENTIFIER", "NO_ACTIVE_CERTIFICATE", "LINK_NOT_CONFIRMED"],
        w.converter.id: ["LINK_NOT_CONFIRMED"],
        w.paper_mill.id: [],
        w.pulp_mill.id: ["NO_ACTIVE_CERTIFICATE"],
    }
    assert low_risk["policy"]["identifier_schemes"] == ["DUNS", "GLN", "LEI", "USCC", "VAT"]

    changes = report["changes"]
    assert changes["suppliers_added"] == [w.toner.id]
    assert changes["suppliers_removed"] == [w.old_pulp_mill.id]
    assert changes["links_added"] == [w.links["toner>buyer"]["id"]]
    assert changes["links_removed"] == [w.links["old_pulp_mill>paper_mill"]["id"]]
    assert changes["certification_changed"] == [
        {"organisation_id": w.pulp_mill.id, "before": "certified", "after": "not_certified"}
    ]
    assert [(e["link_id"], e["action"]) for e in changes["link_events"]] == [
        (w.links["converter>paper_mill"]["id"], "disputed")
    ]


def test_the_low_risk_definition_is_the_deployments(supply: Supply, world: PaperChain, settings: Settings) -> None:
    """The converter's licence ends in 49 days: with a 60-day margin it no longer makes it low-risk, and
    without the confirmation rule its disputed offcut link no longer counts against it. A supplier reached
    only through a link it has not confirmed (the toner supplier) is never low-risk, whatever the rule."""
    w = world
    path, params = f"/v1/organisations/{w.buyer.id}/audit", {"as_of": AS_OF}
    default = supply.client.get(path, params=params, headers=w.buyer.headers).json()["low_risk"]
    unestablished = ["NO_VERIFIED_IDENTIFIER", "NO_ACTIVE_CERTIFICATE", "LINK_NOT_CONFIRMED"]
    assert {r["organisation_id"]: r["reasons"] for r in default["suppliers"]} == {
        w.distributor.id: ["NO_ACTIVE_CERTIFICATE"],
        w.toner.id: unestablished,
        w.converter.id: ["LINK_NOT_CONFIRMED"],
        w.paper_mill.id: [],
        w.pulp_mill.id: ["NO_ACTIVE_CERTIFICATE"],
    }
    stricter = settings.model_copy(
        update={"supply_low_risk_min_days_valid": 60, "supply_low_risk_requires_confirmed_links": False}
    )
    with TestClient(create_app(stricter), raise_server_exceptions=False) as other:
        low_risk = other.get(path, params=params, headers=w.buyer.headers).json()["low_risk"]
    assert low_risk["policy"] == {
        "identifier_schemes": ["DUNS", "GLN", "LEI", "USCC", "VAT"],
        "requires_active_certificate": True,
        "requires_confirmed_links": False,
        "min_days_valid": 60,
    }
    assert {r["organisation_id"]: r["reasons"] for r in low_risk["suppliers"]} == {
        w.distributor.id: ["NO_ACTIVE_CERTIFICATE"],
        w.toner.id: unestablished,
        w.converter.id: ["NO_ACTIVE_CERTIFICATE"],
        w.paper_mill.id: [],
        w.pulp_mill.id: ["NO_ACTIVE_CERTIFICATE"],
    }


def test_impact_of_the_converters_licence(supply: Supply, world: PaperChain) -> None:
    w = world
    certificate = w.certificates["converter"]
    everything = supply.client.get(
        f"/v1/certificates/{certificate}/impact", params={"as_of": AS_OF}, headers=supply.admin_headers
    ).json()
    assert everything["restricted"] is False
    assert everything["status"] == "active"
    distance = {a["organisation_id"]: a["distance"] for a in everything["affected"]}
    # The converter disputes the offcut link to the paper mill: it covers nothing, and is not followed.
    assert distance == {w.buyer.id: 1, w.distributor.id: 1}
    assert sorted(everything["directly_covered_links"]) == sorted(
        w.links[name]["id"] for name in ("distributor>buyer", "converter>distributor")
    )

    mine = supply.client.get(
        f"/v1/certificates/{certificate}/impact", params={"as_of": AS_OF}, headers=w.buyer.headers
    ).json()
    assert mine["restricted"] is True
    assert [(a["organisation_id"], a["path"], a["links"]) for a in mine["affected"]] == [
        (w.buyer.id, [w.distributor.id, w.buyer.id], [w.links["distributor>buyer"]["id"]])
    ]
    assert mine["directly_covered_links"] == [w.links["distributor>buyer"]["id"]]

    stranger = supply.organisation("Unrelated Trading Ltd (demo)", "GB")
    theirs = supply.client.get(f"/v1/certificates/{certificate}/impact", headers=stranger.headers).json()
    assert (theirs["affected"], theirs["directly_covered_links"]) == ([], [])
