"""A small registry for the console's tests, built through the JSON API as its real users would.

Two programmes with a mutual agreement in force (so a certificate of one is recognised as the other's
label), a third programme that shares the second's name, three certificates (one suspended, one
renewed), and a buyer's supply chain of three tiers in which one
supplier is certified, one is not and one cannot be matched (no identifier), all confirmed by their
suppliers; plus a direct supplier that has not confirmed the buyer's declaration yet, whose own
suppliers the chain therefore does not show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from tests.recognition.world import Signatory, both_ways, conclude
from tests.registry.factories import JSON_HEADERS, programme_registration
from tests.supply.world import Org, Supply, unique_lei

CEC, JEA, JEA_NAMESAKE = "cn-cel", "jp-ecomark", "jp-ecomark-2"
LONG_NAME_ZH = "东方塑料制品集团股份有限公司华南精密注塑生产基地"  # wider than a graph box in any font
RENEWED_UNTIL = "2029-01-01T00:00:00Z"  # exclusive: the last valid day is 2028-12-31
CEC_CATEGORY, JEA_CATEGORY = "HJ 2536", "No.118"
GTIN = "4006381333931"


@dataclass
class World:
    cec: Signatory
    jea: Signatory
    agreement_id: str
    certified_id: str  # active, held by the certified supplier, lists GTIN
    suspended_id: str
    other_id: str  # active, a second licence of the same holder
    buyer: Org
    certified: Org
    uncertified: Org
    unknown: Org
    pending: Org  # named by a declaration it has not confirmed
    certified_lei: str
    receipt: dict[str, Any]  # the submission receipt of `certified_id`
    credential: str  # the exact JWS behind `certified_id`


def _holder(lei: str, name: str) -> dict[str, Any]:
    return {"name": name, "country": "CN", "identifiers": [{"scheme": "LEI", "value": lei}]}


def _certificate(
    client: TestClient, programme: Signatory, licence: str, holder: dict[str, Any], gtin: str
) -> tuple[str, dict[str, Any], str]:
    payload = programme.credential_payload(licence)
    subject = payload["credentialSubject"]
    subject["category"] = {"code": CEC_CATEGORY, "criteriaVersion": "2024"}
    subject["holder"] = holder
    subject["products"] = [{"name": "Desktop computer", "brand": "Lüfeng", "model": "LF-D*", "gtin": gtin}]
    subject["markets"] = ["CN", "DE"]
    token = programme.sign(payload, "vc+jwt")
    response = client.post("/v1/certificates", json={"credential": token})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["certificate"]["id"], body["receipt"], token


def _programme(client: TestClient, admin_headers: dict[str, str], programme_id: str, **names: str) -> Signatory:
    fixture = programme_registration(programme_id, names=names)
    response = client.post("/v1/programmes", content=fixture.body, headers={**admin_headers, **JSON_HEADERS})
    assert response.status_code == 201, response.text
    return Signatory(
        programme_id=fixture.id, keys=dict(fixture.keys), kid=next(iter(fixture.keys)), roots=dict(fixture.roots)
    )


def build(client: TestClient, admin_headers: dict[str, str]) -> World:
    cec = _programme(client, admin_headers, CEC, en="China Environmental Labelling", zh="中国环境标志")
    jea = _programme(client, admin_headers, JEA, en="Japan Eco Mark", zh="日本生态标志")
    _programme(client, admin_headers, JEA_NAMESAKE, en="Japan Eco Mark", zh="日本生态标志")  # same name, another body
    cec.define(client, CEC_CATEGORY, "2024", cpv=["30213000"], cn_procurement=["A02010104"])
    jea.define(client, JEA_CATEGORY, "2024", cpv=["30213000"])
    agreement = cec.agreement(
        [CEC, JEA],
        both_ways(CEC, CEC_CATEGORY, JEA, JEA_CATEGORY),
        title="China-Japan eco-label mutual recognition (computers)",
    )
    agreement_id = conclude(client, cec, [jea], agreement)

    supply = Supply(client, admin_headers)
    certified_lei = unique_lei()
    certified = supply.organisation(
        "Lüfeng Electronics Co., Ltd.", identifiers=[{"scheme": "LEI", "value": certified_lei}], zh="绿峰电子有限公司"
    )
    holder = _holder(certified_lei, "Lüfeng Electronics Co., Ltd.")
    certified_id, receipt, credential = _certificate(client, cec, "CEC-2026-HJ2536-00042", holder, GTIN)
    other_id, _, _ = _certificate(client, cec, "CEC-2026-HJ2536-00043", holder, "4006381333948")
    suspended_id, _, _ = _certificate(client, cec, "CEC-2026-HJ2536-00044", holder, "4006381333955")
    event = cec.status_event(suspended_id, 1, suspended_id)  # effective 2025-03-01
    suspended = client.post(f"/v1/certificates/{suspended_id}/events", json={"event": event})
    assert suspended.status_code == 201, suspended.text
    renewal = cec.status_event(
        other_id, 1, other_id, status="renewed", validUntil=RENEWED_UNTIL, reason="surveillance audit passed"
    )
    renewed = client.post(f"/v1/certificates/{other_id}/events", json={"event": renewal})
    assert renewed.status_code == 201, renewed.text

    buyer = supply.organisation("Green Office Procurement Ltd.", zh="绿色办公采购有限公司")
    uncertified = supply.organisation("Eastern Plastics and Precision Moulding Co., Ltd.", zh=LONG_NAME_ZH)
    unknown = supply.organisation("Workshop No. 7", identifiers=[], zh="第七车间")
    for link in (
        supply.declare(buyer, certified, gtin=GTIN, volume={"amount": 1200, "unit": "pcs"}),
        supply.declare(buyer, uncertified, material="ABS plastic housings", share=0.3),
        supply.declare(uncertified, unknown, material="steel screws"),
    ):
        seller = {certified.id: certified, uncertified.id: uncertified, unknown.id: unknown}[link["supplier_id"]]
        confirmed = supply.confirm(seller, link)
        assert confirmed.status_code == 201, confirmed.text
    pending = supply.organisation("Pending Cable Works", zh="待确认线缆厂")
    supply.declare(buyer, pending, material="power cables")
    supply.link(pending, unknown, material="copper wire")  # pending's own link: not in the buyer's chain
    return World(
        cec=cec,
        jea=jea,
        agreement_id=agreement_id,
        certified_id=certified_id,
        suspended_id=suspended_id,
        other_id=other_id,
        buyer=buyer,
        certified=certified,
        uncertified=uncertified,
        unknown=unknown,
        pending=pending,
        certified_lei=certified_lei,
        receipt=receipt,
        credential=credential,
    )
