"""Agreements modelled on real public ones — MODELS FOR TESTS AND DEMOS, NOT AUTHORITATIVE RECORDS.

Source: the project's domain reference (shared/REFERENCE.md, "Mutual recognition as practised"), which
cites the programmes' own announcements. Parties, forms and dates are as published there; where a
detail was not published (a day within the year, a term's end, category codes of programmes whose
codes the reference does not confirm, the wording of supplementary criteria) the value here is a
modelling assumption and says so in `MODEL_NOTE`. Category codes confirmed by the reference: CEC's
HJ 2536 (desktop computers, China procurement item A02010104) and Green Seal's standard numbering.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from tests.recognition.world import Signatory, both_ways, conclude, scope, signatory

MODEL_NOTE = "Model for tests and demos, built from shared/REFERENCE.md; unpublished details are assumptions."
SOURCE = "shared/REFERENCE.md, Mutual recognition as practised"
PROGRAMMES = ("cec", "jea", "keiti", "sgls", "nordic-swan", "green-seal")


@dataclass
class World:
    parties: dict[str, Signatory]

    def __getitem__(self, programme: str) -> Signatory:
        return self.parties[programme]


def build_world(client: TestClient, admin_headers: dict[str, str], programmes: tuple[str, ...] = PROGRAMMES) -> World:
    """The programmes of the modelled agreements, with the categories those agreements map."""
    world = World({programme: signatory(client, admin_headers, programme) for programme in programmes})
    if "cec" in programmes:
        world["cec"].define(client, "HJ 2536", cnProcurement=["A02010104"], cpv=["30213000"])
    for programme, code in [
        ("cec", "digital-duplicators"),
        ("jea", "digital-duplicators"),
        ("cec", "printing-ink"),
        ("jea", "printing-ink"),
        ("keiti", "printing-ink"),
        ("jea", "computers"),
        ("keiti", "computers"),
        ("jea", "flooring"),
        ("jea", "tile-carpets"),
        ("sgls", "flooring"),
        ("sgls", "tile-carpets"),
        ("cec", "flooring"),
        ("jea", "copiers"),
        ("keiti", "paints"),
        ("green-seal", "GS-11"),
    ]:
        if programme in programmes:
            world[programme].define(client, code)
    if "nordic-swan" in programmes:
        for version in ("4", "6"):
            world["nordic-swan"].define(client, "copiers", version)
    return world


def _agreement(proposer: Signatory, parties: list[str], mappings: list[dict[str, Any]], **fields: Any) -> str:
    return proposer.agreement(parties, mappings, **{"announcement": SOURCE, "modelNote": MODEL_NOTE, **fields})


def cec_jea(client: TestClient, world: World, *, renewed: bool = True) -> str:
    """China Environmental Labelling - Japan Eco Mark: signed 2005, renewed 2011 (reference item 1).

    Assumptions: the first term ends on 2011-01-01 and the renewal runs five years (GEN's re-assessment
    interval); the scope shown is digital duplicators, the category of the 2019 common core criterion.
    """
    token = _agreement(
        world["cec"],
        ["cec", "jea"],
        both_ways("cec", "digital-duplicators", "jea", "digital-duplicators"),
        title="China Environmental Labelling - Japan Eco Mark mutual recognition (model)",
        effectiveFrom="2005-01-01T00:00:00Z",
        effectiveUntil="2011-01-01T00:00:00Z",
    )
    agreement_id = conclude(client, world["cec"], [world["jea"]], token)
    if renewed:
        renew(client, world["jea"], agreement_id, approvers=[world["cec"]])
    return agreement_id


def renew(client: TestClient, party: Signatory, agreement_id: str, *, approvers: list[Signatory]) -> None:
    """`party` proposes the 2011 renewal; a renewal widens recognition, so every other party approves it."""
    renewal = party.event(
        agreement_id, 1, agreement_id, "renewed", "2011-01-01T00:00:00Z", effectiveUntil="2016-01-01T00:00:00Z"
    )
    response = client.post(f"/v1/agreements/{agreement_id}/events", json={"event": renewal})
    assert response.status_code == 202, response.text
    event = hashlib.sha256(renewal.encode("ascii")).hexdigest()
    for approver in approvers:
        approval = approver.event_approval(agreement_id, event)
        response = client.post(f"/v1/agreements/{agreement_id}/events/{event}/approvals", json={"approval": approval})
    assert response.status_code == 201, response.text


def _among(parties: dict[str, str]) -> list[dict[str, Any]]:
    """Every direction between every two of the parties' categories."""
    return [scope(a, parties[a], b, parties[b]) for a in parties for b in parties if a != b]


def cjk_common_core(client: TestClient, world: World, product: str, effective_from: str, *, signers: int = 2) -> str:
    """China-Japan-Korea common core criteria (reference item 2): computers 2007, printing ink 2021.

    Assumptions: day and month (1 January); the supplementary criteria's wording.
    """
    categories = (
        {"cec": "HJ 2536", "jea": "computers", "keiti": "computers"}
        if product == "computers"
        else {
            "cec": "printing-ink",
            "jea": "printing-ink",
            "keiti": "printing-ink",
        }
    )
    token = _agreement(
        world["cec"],
        ["cec", "jea", "keiti"],
        _among(categories),
        title=f"China-Japan-Korea common core criteria: {product} (model)",
        agreementType="common_core",
        supplementaryCriteria=[
            {"programme": programme, "category": code, "criterion": f"{programme} criteria beyond the common core"}
            for programme, code in categories.items()
        ],
        effectiveFrom=effective_from,
    )
    return conclude(client, world["cec"], [world["jea"], world["keiti"]][:signers], token)


def jea_sgls(client: TestClient, world: World, *, onward: bool = False) -> str:
    """Japan Eco Mark - Singapore Green Label, 20 Nov 2024 (reference item 3): flooring and tile carpets;
    Eco Mark products skip re-evaluation for the common criteria only (so: SGLS recognises JEA)."""
    token = _agreement(
        world["jea"],
        ["jea", "sgls"],
        [scope("jea", "flooring", "sgls", "flooring"), scope("jea", "tile-carpets", "sgls", "tile-carpets")],
        title="Japan Eco Mark - Singapore Green Label (model)",
        mutual=False,
        recognitions=[{"recognizer": "sgls", "recognized": "jea"}],
        agreementType="common_core",
        supplementaryCriteria=[{"programme": "sgls", "criterion": "SGLS criteria outside the common criteria"}],
        effectiveFrom="2024-11-20T00:00:00+08:00",
        onwardRecognition=onward,
    )
    return conclude(client, world["jea"], [world["sgls"]], token)


def jea_nordic_copiers(client: TestClient, world: World) -> str:
    """Japan Eco Mark - Nordic Swan, copiers, from April 2002 (reference item 4): partial, shared
    requirements are not re-examined. Assumption: Nordic Swan copier criteria up to version 5."""
    token = _agreement(
        world["jea"],
        ["jea", "nordic-swan"],
        [
            scope("nordic-swan", "copiers", "jea", "copiers", versions={"max": "5"}),
            scope("jea", "copiers", "nordic-swan", "copiers", target_versions={"max": "5"}),
        ],
        title="Japan Eco Mark - Nordic Swan: copiers (model)",
        agreementType="common_core",
        supplementaryCriteria=[
            {
                "programme": "jea",
                "category": "copiers",
                "criterion": "Eco Mark requirements not shared with Nordic Swan",
            },
            {"programme": "nordic-swan", "category": "copiers", "criterion": "Nordic Swan requirements not shared"},
        ],
        effectiveFrom="2002-04-01T00:00:00+09:00",
    )
    return conclude(client, world["jea"], [world["nordic-swan"]], token)


def keiti_green_seal(client: TestClient, world: World) -> str:
    """Korea Eco-label (KEITI) - Green Seal, 2012 (reference item 5): KEITI acts as a proxy so Korean
    firms need no North American test laboratory. Assumptions: 1 January; paints (GS-11) as the scope."""
    token = _agreement(
        world["keiti"],
        ["keiti", "green-seal"],
        [scope("keiti", "paints", "green-seal", "GS-11")],
        title="Korea Eco-label - Green Seal proxy assessment (model)",
        mutual=False,
        recognitions=[{"recognizer": "green-seal", "recognized": "keiti"}],
        agreementType="proxy_assessment",
        proxyNote="KEITI tests and assesses in Korea on Green Seal's behalf; Green Seal still certifies the product",
        effectiveFrom="2012-01-01T00:00:00+09:00",
    )
    return conclude(client, world["keiti"], [world["green-seal"]], token)
