"""A multi-tier office-paper chain (DEMO DATA: the companies are invented, their identifiers are valid).

    pulp mill (FI) -> paper mill (CN) -> converter (SE) -> office-supplies distributor (IT) -> public buyer (IT)

plus a second distributor without any identifier (toner, share only, unconfirmed), a pulp supplier that
the paper mill stopped buying from on 2025-01-01, and offcuts the converter sends back to the paper mill
for repulping (a cycle), which the converter disputes. Certificates:

- the paper mill holds a China Environmental Labelling licence for cultural paper (HJ 410), active;
- the converter holds a Nordic Swan licence for copy paper listing the ream's GTIN, ending 2025-07-20;
- the pulp mill held a Nordic Swan licence, suspended from 2025-03-01.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from tests.registry.factories import Certifier, certificate_id, certifier
from tests.supply.world import Org, Supply, gs1, italian_vat, lei, unified_social_credit_code

AS_OF = "2025-06-01"
REAM_GTIN = gs1("735000123456")  # GTIN-13, Swedish GS1 prefix 73
JUMBO_GTIN = gs1("690123456789")  # GTIN-13, Chinese GS1 prefix 690-699


@dataclass
class PaperChain:
    buyer: Org
    distributor: Org
    toner: Org
    converter: Org
    paper_mill: Org
    pulp_mill: Org
    old_pulp_mill: Org
    links: dict[str, dict[str, Any]]
    certificates: dict[str, str]


def _certificate(
    client: TestClient,
    body: Certifier,
    licence: str,
    holder: dict[str, Any],
    products: list[dict[str, Any]],
    **dates: str,
) -> str:
    payload = body.credential_payload(licence, **dates)
    subject = payload["credentialSubject"]
    subject["holder"] = holder
    subject["products"] = products
    subject["category"] = {"code": _category_code(body), "criteriaVersion": "1"}
    token = body.sign(payload, "vc+jwt")
    response = client.post("/v1/certificates", json={"credential": token})
    assert response.status_code == 201, response.text
    return certificate_id(token)


def _category_code(body: Certifier) -> str:
    return "HJ410" if body.programme_id == "cec" else "001"


def _programme(
    client: TestClient, admin_headers: dict[str, str], programme_id: str, names: dict[str, str]
) -> Certifier:
    body = certifier(client, admin_headers, programme_id, category=False)
    category = body.category_payload(
        code=_category_code(body),
        names=names,
        criteria={
            "id": "HJ 410-2008" if programme_id == "cec" else "Nordic Swan 001 v5",
            "version": "1",
            "validFrom": "2019-01-01T00:00:00Z",
        },
        crosswalk={"cpv": ["30197630"], "hs": ["4802"]},
    )
    defined = client.post(
        f"/v1/programmes/{programme_id}/categories", json={"category": body.sign(category, "ecolabel-category+jwt")}
    )
    assert defined.status_code == 201, defined.text
    return body


def build(supply: Supply, admin_headers: dict[str, str]) -> PaperChain:
    client = supply.client
    buyer = supply.organisation(
        "Municipality of Bologna (demo)",
        "IT",
        [{"scheme": "VAT", "value": italian_vat("0123271037")}],
        it="Comune di Bologna (demo)",
    )
    distributor = supply.organisation(
        "Emilia Office Supplies S.r.l. (demo)",
        "IT",
        [
            {"scheme": "LEI", "value": lei("8156", "EMILIAOFFICE")},
            {"scheme": "VAT", "value": italian_vat("0388212037")},
        ],
    )
    toner = supply.organisation("Toner Express (demo)", "IT", [])
    converter = supply.organisation(
        "Skåne Office Paper AB (demo)",
        "SE",
        [{"scheme": "LEI", "value": lei("5493", "SKANEPAPER01")}, {"scheme": "GLN", "value": gs1("735000000001")}],
        sv="Skånska Kontorspapper AB (demo)",
    )
    paper_mill = supply.organisation(
        "Rizhao Green Paper Co., Ltd. (demo)",
        "CN",
        [{"scheme": "USCC", "value": unified_social_credit_code("91371100MA3C4K2L0")}],
        zh="日照绿色纸业有限公司 (示例)",
    )
    pulp_mill = supply.organisation(
        "Botnia Pulp Oy (demo)", "FI", [{"scheme": "LEI", "value": lei("7437", "BOTNIAPULP01")}], fi="Botnian Sellu Oy"
    )
    old_pulp_mill = supply.organisation(
        "Alte Zellstoff GmbH (demo)", "DE", [{"scheme": "LEI", "value": lei("3912", "ALTEZELLSTOF")}]
    )

    confirmed_on = {"occurred_at": "2024-01-15"}
    links = {
        "distributor>buyer": supply.declare(
            buyer,
            distributor,
            gtin=REAM_GTIN,
            volume={"amount": 12, "unit": "t"},
            evidence=[{"kind": "invoice", "reference": "FT-2024-00871"}],
        ),
        "toner>buyer": supply.declare(buyer, toner, material="toner cartridges", share=0.2, valid_from="2025-02-01"),
        "converter>distributor": supply.declare(
            distributor,
            converter,
            gtin=REAM_GTIN,
            volume={"amount": 12, "unit": "t"},
            evidence=[{"kind": "transaction_certificate", "reference": "TC-SE-2024-0193"}],
        ),
        "paper_mill>converter": supply.declare(
            converter, paper_mill, material="uncoated woodfree paper, jumbo reels", volume={"amount": 10, "unit": "t"}
        ),
        "pulp_mill>paper_mill": supply.declare(
            paper_mill, pulp_mill, material="bleached hardwood kraft pulp", volume={"amount": 11, "unit": "t"}
        ),
        "converter>paper_mill": supply.declare(
            paper_mill, converter, material="converting offcuts for repulping", volume={"amount": 0.5, "unit": "t"}
        ),
        "old_pulp_mill>paper_mill": supply.declare(
            paper_mill,
            old_pulp_mill,
            material="bleached softwood kraft pulp",
            volume={"amount": 4, "unit": "t"},
            valid_from="2022-01-01",
            valid_to="2025-01-01",
        ),
    }
    suppliers = {
        "distributor>buyer": distributor,
        "converter>distributor": converter,
        "paper_mill>converter": paper_mill,
        "pulp_mill>paper_mill": pulp_mill,
        "converter>paper_mill": converter,
        "old_pulp_mill>paper_mill": old_pulp_mill,
    }
    for name, supplier in suppliers.items():
        answered = supply.confirm(supplier, links[name], **confirmed_on)
        assert answered.status_code == 201, answered.text
        links[name] = answered.json()["link"]
    disputed = supply.dispute(
        converter,
        links["converter>paper_mill"],
        reason="offcuts went to another mill since 2025",
        occurred_at="2025-04-10",
    )
    assert disputed.status_code == 201, disputed.text
    links["converter>paper_mill"] = disputed.json()["link"]

    cec = _programme(client, admin_headers, "cec", {"en": "Cultural paper", "zh": "文化用纸"})
    swan = _programme(client, admin_headers, "nordic-swan", {"en": "Copy and printing paper", "sv": "Kopieringspapper"})
    certificates = {
        "paper_mill": _certificate(
            client,
            cec,
            "CEC-2024-HJ410-0081",
            {"name": "Rizhao Green Paper Co., Ltd.", "country": "CN", "identifiers": paper_mill.identifiers},
            [{"name": "Woodfree paper 80 g/m2", "gtin": JUMBO_GTIN}],
            validFrom="2024-01-01T00:00:00Z",
            validUntil="2027-12-31T00:00:00Z",
        ),
        "converter": _certificate(
            client,
            swan,
            "3041-0457",
            {"name": "Skane Office Paper AB", "country": "SE", "identifiers": converter.identifiers[:1]},
            [{"name": "Nordic Copy A4 80 g/m2, ream of 500", "model": "NC-A4-80", "gtin": REAM_GTIN}],
            validFrom="2023-07-21T00:00:00Z",
            validUntil="2025-07-20T00:00:00Z",
        ),
        "pulp_mill": _certificate(
            client,
            swan,
            "3041-0102",
            {"name": "Botnia Pulp Oy", "country": "FI", "identifiers": pulp_mill.identifiers},
            [{"name": "Bleached hardwood kraft pulp"}],
            validFrom="2024-01-01T00:00:00Z",
            validUntil="2027-01-01T00:00:00Z",
        ),
    }
    suspended = swan.status_event(
        certificates["pulp_mill"], 1, certificates["pulp_mill"], "suspended", effectiveAt="2025-03-01T00:00:00Z"
    )
    response = client.post(f"/v1/certificates/{certificates['pulp_mill']}/events", json={"event": suspended})
    assert response.status_code == 201, response.text
    return PaperChain(buyer, distributor, toner, converter, paper_mill, pulp_mill, old_pulp_mill, links, certificates)
