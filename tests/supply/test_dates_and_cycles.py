"""Validity periods are half-open ([valid_from, valid_to)), and cycles are reported, never followed twice.

The links here are confirmed by their suppliers (`Supply.link`), so the chain follows them; what an
unconfirmed link does is in `test_supplier_confirmation.py`.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import Engine

from ecolabel_registry.clock import now_us
from ecolabel_registry.supply import graph
from tests.supply.world import Org, Supply


def _suppliers(supply: Supply, buyer: Org, as_of: str) -> set[str]:
    return {node["organisation_id"] for node in supply.chain(buyer, as_of=as_of)["nodes"]} - {buyer.id}


@pytest.mark.parametrize(
    ("as_of", "holds"),
    [
        ("2024-12-31T23:59:59.999999Z", False),
        ("2025-01-01", True),  # valid_from is inclusive
        ("2025-01-01T01:00:00+02:00", False),  # 2024-12-31T23:00Z: time zones are honoured
        ("2025-06-30T23:59:59.999999Z", True),
        ("2025-07-01T00:00:00Z", False),  # valid_to is exclusive
        ("2025-07-01T02:00:00+02:00", False),
    ],
)
def test_valid_from_is_inclusive_and_valid_to_exclusive(supply: Supply, as_of: str, holds: bool) -> None:
    buyer, supplier = supply.organisation("Buyer"), supply.organisation("Supplier")
    supply.link(buyer, supplier, valid_from="2025-01-01", valid_to="2025-07-01")
    assert (supplier.id in _suppliers(supply, buyer, as_of)) is holds


def test_consecutive_periods_meet_without_gap_or_overlap(supply: Supply) -> None:
    buyer, old, new = supply.organisation("Buyer"), supply.organisation("Old"), supply.organisation("New")
    supply.link(buyer, old, valid_from="2020-01-01", valid_to="2025-01-01")
    supply.link(buyer, new, valid_from="2025-01-01")
    assert _suppliers(supply, buyer, "2024-12-31T23:59:59.999999Z") == {old.id}
    assert _suppliers(supply, buyer, "2025-01-01") == {new.id}


def test_dates_need_a_time_zone(supply: Supply) -> None:
    buyer = supply.organisation("Buyer")
    response = supply.client.get(
        f"/v1/organisations/{buyer.id}/supply-chain", params={"as_of": "2025-01-01T00:00:00"}, headers=buyer.headers
    )
    assert response.status_code == 422


def test_a_cycle_through_the_queried_organisation_is_reported_once(supply: Supply) -> None:
    a, b, c = supply.organisation("A"), supply.organisation("B"), supply.organisation("C")
    ab = supply.link(a, b)  # b supplies a
    supply.link(b, c)
    ca = supply.link(c, a)  # a supplies c: back to the start
    answer = supply.chain(a, depth=32)
    assert {n["organisation_id"]: n["tier"] for n in answer["nodes"]} == {a.id: 0, b.id: 1, c.id: 2}
    assert len(answer["links"]) == 3
    assert answer["cycles"] == [{"organisations": [a.id, b.id, c.id, a.id], "closing_link": ca["id"]}]
    assert answer["truncated"] is False
    assert ab["id"] in {link["id"] for link in answer["links"]}


def test_a_long_cycle_at_full_depth_ends(supply: Supply) -> None:
    ring = [supply.organisation(f"Ring {i}") for i in range(12)]
    for buyer, seller in zip(ring, ring[1:] + ring[:1], strict=True):
        supply.link(buyer, seller)
    answer = supply.chain(ring[0], depth=32)
    assert len(answer["nodes"]) == 12
    assert max(node["tier"] for node in answer["nodes"]) == 11
    (cycle,) = answer["cycles"]
    assert len(cycle["organisations"]) == 13


def test_diamonds_are_not_cycles(supply: Supply) -> None:
    top, left, right, bottom = (supply.organisation(n) for n in ("Top", "Left", "Right", "Bottom"))
    supply.link(top, left)
    supply.link(top, right)
    supply.link(left, bottom)
    supply.link(right, bottom)
    answer = supply.chain(top)
    assert answer["cycles"] == []
    assert {n["organisation_id"]: n["tier"] for n in answer["nodes"]}[bottom.id] == 2
    assert len(answer["links"]) == 4


def test_breadth_first_search_agrees_with_the_recursive_cte(supply: Supply, engine: Engine) -> None:
    """Random graph with cycles, diamonds, links ending in the past and links not confirmed: the same
    shortest tiers both ways for the organisations the chain discloses; the others are one unconfirmed
    link away from a disclosed buyer, and withheld."""
    rng = random.Random(8)
    organisations = [supply.organisation(f"Org {i}") for i in range(14)]
    pairs = {(rng.randrange(14), rng.randrange(14)) for _ in range(34)}
    declared: list[dict[str, Any]] = []
    for buyer, seller in sorted(pairs):
        if buyer == seller:
            continue
        ended = {"valid_to": "2024-06-01"} if rng.random() < 0.2 else {}
        link = supply.declare(organisations[buyer], organisations[seller], **ended)
        answer = rng.random()
        if answer < 0.7:
            assert supply.confirm(organisations[seller], link).status_code == 201
        elif answer < 0.8:
            assert supply.dispute(organisations[seller], link).status_code == 201
        declared.append(link)
    at = now_us()
    for root in organisations[:4]:
        for depth in (1, 2, 32):
            answer = supply.chain(root, depth=depth)
            tiers = {n["organisation_id"]: n["tier"] for n in answer["nodes"] if not n["upstream_withheld"]}
            with engine.connect() as connection:
                assert graph.reachable_upstream(connection, root.id, at, depth) == tiers
            withheld = {n["organisation_id"] for n in answer["nodes"] if n["upstream_withheld"]}
            assert all(link["buyer_id"] in tiers for link in answer["links"])
            assert withheld == {
                link["supplier_id"]
                for link in answer["links"]
                if link["state"] != "confirmed" and link["supplier_id"] not in tiers
            }
