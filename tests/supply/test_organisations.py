"""Organisations with identifiers of every scheme, their facilities and products, read back by their readers."""

from __future__ import annotations

from tests.supply.world import Org, Supply, gs1, italian_vat, lei, unified_social_credit_code


def test_an_organisation_with_every_kind_of_identifier(supply: Supply) -> None:
    identifiers = [
        {"scheme": "LEI", "value": lei("3003", "SHANGHAIPACK")},
        {"scheme": "USCC", "value": unified_social_credit_code("91310000MA1FL3LB3")},
        {"scheme": "GLN", "value": gs1("693000000001")},
        {"scheme": "DUNS", "value": "544321987"},
        {"scheme": "OSID", "value": "CN2024123ABCDEF"},
        {"scheme": "VAT", "value": italian_vat("0765432037")},
        {"scheme": "NATIONAL", "value": "HRB 12345 B"},
    ]
    org = supply.organisation("Shanghai Green Packaging (demo)", "CN", identifiers, zh="上海绿色包装 (示例)")
    facility = supply.post(
        "/v1/facilities",
        {
            "type": "Facility",
            "organisation_id": org.id,
            "name": "Songjiang plant",
            "address": "88 Rongle Road, Songjiang, Shanghai",
            "country": "CN",
            "coordinates": {"latitude": 31.03, "longitude": 121.22},
            "gln": gs1("693000000018"),
        },
        org.headers,
    )
    assert facility.status_code == 201, facility.text
    product = supply.post(
        "/v1/products",
        {
            "type": "Product",
            "organisation_id": org.id,
            "name": "Kraft box",
            "gtin": "96385074",
            "category": "cpv:44617100",
        },
        org.headers,
    )
    assert product.status_code == 201, product.text
    assert product.json()["product"]["gtin"] == "00000096385074"  # GTIN-8 padded to 14 digits

    detail = supply.client.get(f"/v1/organisations/{org.id}", headers=org.headers).json()
    assert detail["names"] == {"en": "Shanghai Green Packaging (demo)", "zh": "上海绿色包装 (示例)"}
    assert sorted((i["scheme"], i["value"]) for i in detail["identifiers"]) == sorted(
        (i["scheme"], i["value"]) for i in identifiers
    )
    assert [f["coordinates"] for f in detail["facilities"]] == [{"latitude": 31.03, "longitude": 121.22}]
    assert [p["gtin"] for p in detail["products"]] == ["00000096385074"]
    assert detail["leaf_index"] >= 0

    for path in (f"/v1/facilities/{detail['facilities'][0]['id']}", f"/v1/products/{detail['products'][0]['id']}"):
        assert supply.client.get(path, headers=org.headers).status_code == 200
    assert supply.client.get(f"/v1/organisations/{org.id}", headers=supply.admin_headers).status_code == 200


def test_an_unknown_organisation_is_not_found_for_the_operator(supply: Supply) -> None:
    missing = "/v1/organisations/00000000-0000-4000-8000-000000000000"
    assert supply.client.get(missing, headers=supply.admin_headers).status_code == 404
    chain = supply.client.get(missing + "/supply-chain", headers=supply.admin_headers)
    assert chain.status_code == 404


def test_depth_is_bounded_by_the_settings(supply: Supply) -> None:
    org = supply.organisation("Deep")
    too_deep = supply.client.get(f"/v1/organisations/{org.id}/supply-chain", params={"depth": 100}, headers=org.headers)
    assert (too_deep.status_code, too_deep.json()["code"]) == (422, "DEPTH_TOO_LARGE")


def test_identifiers_are_listed_in_one_order_on_every_answer(supply: Supply) -> None:
    """The registration answer, the organisation read and the chain list identifiers alike: code-point order."""
    identifiers = [
        {"scheme": "VAT", "value": italian_vat("0765432037")},
        {"scheme": "LEI", "value": lei("3003", "ORDEREDNAMES")},
        {"scheme": "GLN", "value": gs1("693000000025")},
        {"scheme": "DUNS", "value": "544321988"},
    ]
    created = supply.post(
        "/v1/organisations",
        {
            "type": "Organisation",
            "names": {"en": "Ordered Identifiers (demo)"},
            "country": "IT",
            "identifiers": identifiers,
        },
        supply.admin_headers,
    )
    assert created.status_code == 201, created.text
    listed = created.json()["organisation"]["identifiers"]
    expected = sorted(identifiers, key=lambda i: (i["scheme"], i["value"]))
    assert listed == expected
    organisation_id = created.json()["organisation"]["id"]
    read = supply.client.get(f"/v1/organisations/{organisation_id}", headers=supply.admin_headers)
    assert read.status_code == 200, read.text
    assert read.json()["identifiers"] == expected
    chain = supply.chain(Org(organisation_id, ""), headers=supply.admin_headers)
    assert [n["identifiers"] for n in chain["nodes"] if n["organisation_id"] == organisation_id] == [expected]
