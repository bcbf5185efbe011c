"""Bad input on every supply-chain write: malformed, oversized, invalid identifiers, replays and duplicates,
statements out of order. Each is refused with a problem document and leaves the log as it was."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.supply.world import JSON, Org, Supply, gs1, lei, unified_social_credit_code

GOOD_LEI = lei("5493", "BADINPUTTEST")
GOOD_USCC = unified_social_credit_code("91440300MA5FUH7R1")


def _tree_size(supply: Supply) -> int:
    size: int = supply.client.get("/v1/log/checkpoint").json()["tree_size"]
    return size


def _refused(  # noqa: PLR0917  (reads as one sentence at every call site)
    supply: Supply, path: str, document: Any, headers: dict[str, str], status: int, code: str | None
) -> None:
    before = _tree_size(supply)
    response = supply.post(path, document, headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if code is not None:
        assert response.json().get("code") == code, response.text
    assert _tree_size(supply) == before


def _organisation(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "type": "Organisation",
        "names": {"en": "Shenzhen Green Printing Co., Ltd.", "zh": "深圳绿色印刷有限公司"},
        "country": "CN",
        "identifiers": [{"scheme": "USCC", "value": GOOD_USCC}, {"scheme": "LEI", "value": GOOD_LEI}],
    }
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"type": None}, 422),
        ({"type": "Company"}, 422),
        ({"colour": "green"}, 422),  # unknown members are refused
        ({"country": "XX"}, 422),
        ({"names": {}}, 422),
        ({"names": {"en": "x" * 501}}, 422),
        ({"names": {f"l{i:02d}"[:3]: "n" for i in range(21)}}, 422),
        ({"identifiers": [{"scheme": "LEI", "value": GOOD_LEI[:-2] + "00"}]}, 422),  # wrong ISO 7064 check digits
        ({"identifiers": [{"scheme": "USCC", "value": GOOD_USCC[:-1] + "0"}]}, 422),
        ({"identifiers": [{"scheme": "GLN", "value": "7350000000010"}]}, 422),
        ({"identifiers": [{"scheme": "VAT", "value": "it03882120375"}]}, 422),  # not in normal form
        ({"identifiers": [{"scheme": "DUNS", "value": "12345"}]}, 422),
        ({"identifiers": [{"scheme": "LEI", "value": GOOD_LEI}, {"scheme": "LEI", "value": GOOD_LEI}]}, 422),
        ({"identifiers": [{"scheme": "ISIN", "value": "US0378331005"}]}, 422),
    ],
)
def test_organisation_registration_refuses_bad_documents(supply: Supply, changes: dict[str, Any], status: int) -> None:
    _refused(supply, "/v1/organisations", _organisation(**changes), supply.admin_headers, status, None)


def test_organisation_registration_refuses_malformed_bodies(supply: Supply) -> None:
    admin = {**supply.admin_headers, **JSON}
    client = supply.client
    malformed = client.post("/v1/organisations", content=b'{"type": "Organisation",', headers=admin)
    assert (malformed.status_code, malformed.json()["type"]) == (400, "urn:ecolabel-registry:problem:malformed-json")
    twice = client.post("/v1/organisations", content=b'{"type": "Organisation", "type": "Organisation"}', headers=admin)
    assert (twice.status_code, twice.json()["code"]) == (400, "DUPLICATE_KEY")
    text = client.post(
        "/v1/organisations", content=b"{}", headers={**supply.admin_headers, "content-type": "text/plain"}
    )
    assert text.status_code == 415
    huge = client.post("/v1/organisations", content=b" " * (1_048_576 + 1), headers=admin)
    assert huge.status_code == 413


def test_an_identifier_names_one_organisation(supply: Supply) -> None:
    assert supply.post("/v1/organisations", _organisation(), supply.admin_headers).status_code == 201
    again = _organisation(names={"en": "Someone else"}, identifiers=[{"scheme": "LEI", "value": GOOD_LEI}])
    _refused(supply, "/v1/organisations", again, supply.admin_headers, 409, "IDENTIFIER_TAKEN")


@pytest.fixture
def pair(supply: Supply) -> tuple[Org, Org]:
    return supply.organisation("Buyer"), supply.organisation("Supplier")


def test_facility_and_product_registration_refuse_bad_input(supply: Supply, pair: tuple[Org, Org]) -> None:
    owner, other = pair
    facility = {"type": "Facility", "organisation_id": owner.id, "name": "Mill", "address": "1 Road", "country": "SE"}
    for changes, status, code in [
        ({"coordinates": {"latitude": 91, "longitude": 0}}, 422, None),
        ({"gln": "7350000000010"}, 422, None),
        ({"organisation_id": "not-a-uuid"}, 422, None),
        ({"address": ""}, 422, None),
    ]:
        _refused(supply, "/v1/facilities", facility | changes, owner.headers, status, code)
    _refused(supply, "/v1/facilities", facility, other.headers, 403, "NOT_YOUR_ORGANISATION")
    unknown = facility | {"organisation_id": "00000000-0000-4000-8000-000000000000"}
    _refused(supply, "/v1/facilities", unknown, supply.admin_headers, 422, "UNKNOWN_ORGANISATION")
    gln = gs1("735000555555")
    assert supply.post("/v1/facilities", facility | {"gln": gln}, owner.headers).status_code == 201
    _refused(supply, "/v1/facilities", facility | {"gln": gln}, owner.headers, 409, "GLN_TAKEN")

    product = {"type": "Product", "organisation_id": owner.id, "name": "Ream", "gtin": "4006381333932"}
    _refused(supply, "/v1/products", product, owner.headers, 422, None)  # wrong GS1 check digit
    product["gtin"] = "4006381333931"
    _refused(supply, "/v1/products", product, other.headers, 403, "NOT_YOUR_ORGANISATION")
    assert supply.post("/v1/products", product, owner.headers).status_code == 201
    _refused(supply, "/v1/products", product | {"gtin": "04006381333931"}, owner.headers, 409, "GTIN_TAKEN")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"gtin": "4006381333931", "material": "paper"}, None),  # a product or a material, not both
        ({"material": None}, None),  # ... and not neither
        ({"share": 1.5}, None),
        ({"volume": {"amount": -1, "unit": "t"}}, None),
        ({"volume": {"amount": 1, "unit": "metric tonnes"}}, None),
        ({"valid_to": "2024-01-01"}, None),  # the period is empty
        ({"valid_from": "2024-01-01T00:00:00"}, None),  # no time zone
        ({"valid_from": "01/01/2024"}, None),
        ({"evidence": [{"kind": "invoice"}]}, None),
        ({"evidence": [{"kind": "invoice", "sha256": "XYZ"}]}, None),
        ({"evidence": [{"kind": "invoice", "reference": str(i)} for i in range(51)]}, None),
        ({"supplier": {"identifier": {"scheme": "LEI", "value": lei("9695", "NOBODYHERE00")}}}, "UNKNOWN_ORGANISATION"),
        ({"supplier_facility": {"gln": gs1("735000999999")}}, "UNKNOWN_FACILITY"),
        ({"occurred_at": "2999-01-01"}, "OCCURRED_IN_FUTURE"),
    ],
)
def test_declarations_refuse_bad_input(
    supply: Supply, pair: tuple[Org, Org], changes: dict[str, Any], code: str | None
) -> None:
    buyer, supplier = pair
    document = {k: v for k, v in (supply.declaration(buyer, supplier) | changes).items() if v is not None}
    _refused(supply, "/v1/supply-links", document, buyer.headers, 422, code)


def test_a_declaration_names_two_organisations_and_the_suppliers_own_facility(
    supply: Supply, pair: tuple[Org, Org]
) -> None:
    buyer, supplier = pair
    _refused(supply, "/v1/supply-links", supply.declaration(buyer, buyer), buyer.headers, 422, "SELF_LINK")
    buyers_site = supply.post(
        "/v1/facilities",
        {"type": "Facility", "organisation_id": buyer.id, "name": "Own", "address": "x", "country": "IT"},
        buyer.headers,
    ).json()["facility"]["id"]
    document = supply.declaration(buyer, supplier, supplier_facility={"facility_id": buyers_site})
    _refused(supply, "/v1/supply-links", document, buyer.headers, 422, "FACILITY_NOT_SUPPLIERS")


def test_only_the_buyer_declares_and_forged_tokens_are_refused(supply: Supply, pair: tuple[Org, Org]) -> None:
    buyer, supplier = pair
    document = supply.declaration(buyer, supplier)
    _refused(supply, "/v1/supply-links", document, supplier.headers, 403, "NOT_YOUR_ORGANISATION")
    forged = {"Authorization": "Bearer " + buyer.token[:-4] + "AAAA"}
    _refused(supply, "/v1/supply-links", document, forged, 401, "TOKEN_INVALID")
    _refused(supply, "/v1/supply-links", document, {"Authorization": "Basic Zm9vOmJhcg=="}, 401, "TOKEN_MISSING")


def test_a_replayed_declaration_returns_the_original_and_logs_nothing(supply: Supply, pair: tuple[Org, Org]) -> None:
    buyer, supplier = pair
    document = supply.declaration(buyer, supplier, material="kraft liner", valid_from="2025-01-01")
    first = supply.post("/v1/supply-links", document, buyer.headers)
    assert first.status_code == 201
    size = _tree_size(supply)
    replay = supply.post("/v1/supply-links", document, buyer.headers)
    assert (replay.status_code, replay.json()["created"]) == (200, False)
    assert replay.json()["receipt"] == first.json()["receipt"]
    assert replay.json()["link"]["id"] == first.json()["link"]["id"]
    assert _tree_size(supply) == size

    # The same declaration in other bytes is a second, overlapping declaration: refused.
    spaced = supply.client.post(
        "/v1/supply-links",
        content=b" " + json.dumps(document).encode(),
        headers={**buyer.headers, **JSON},
    )
    assert (spaced.status_code, spaced.json()["code"]) == (409, "LINK_OVERLAPS")
    assert spaced.json()["existing_link"] == first.json()["link"]["id"]
    later = document | {"valid_from": "2023-01-01", "valid_to": "2025-01-01"}  # ends where the first begins
    assert supply.post("/v1/supply-links", later, buyer.headers).status_code == 201
    overlapping = document | {"valid_from": "2024-06-01", "valid_to": "2025-01-02"}
    _refused(supply, "/v1/supply-links", overlapping, buyer.headers, 409, "LINK_OVERLAPS")


def _statement(kind: str, target: dict[str, Any], **changes: Any) -> dict[str, Any]:
    document = {"type": kind, "link": target["id"], "previous": target["next_event"]["previous"]}
    if kind == "SupplyLinkDispute":
        document["reason"] = "not our delivery"
    return {k: v for k, v in (document | changes).items() if v is not None}


def test_statements_out_of_order_or_twice_are_refused(supply: Supply, pair: tuple[Org, Org]) -> None:
    buyer, supplier = pair
    never_declared = {"id": "ab" * 32, "next_event": {"previous": "ab" * 32}}
    path = f"/v1/supply-links/{'ab' * 32}/confirmation"
    _refused(
        supply, path, _statement("SupplyLinkConfirmation", never_declared), supplier.headers, 404, "LINK_NOT_DECLARED"
    )

    link = supply.declare(buyer, supplier)
    confirm, dispute = f"/v1/supply-links/{link['id']}/confirmation", f"/v1/supply-links/{link['id']}/dispute"
    _refused(supply, confirm, _statement("SupplyLinkConfirmation", link), buyer.headers, 403, "NOT_YOUR_ORGANISATION")
    _refused(
        supply,
        confirm,
        _statement("SupplyLinkConfirmation", link, previous="cd" * 32),
        supplier.headers,
        409,
        "PREVIOUS_MISMATCH",
    )
    _refused(
        supply,
        confirm,
        _statement("SupplyLinkConfirmation", link, link="cd" * 32),
        supplier.headers,
        422,
        "PATH_MISMATCH",
    )
    _refused(supply, dispute, _statement("SupplyLinkDispute", link, reason=None), supplier.headers, 422, None)
    _refused(supply, dispute, _statement("SupplyLinkDispute", link, reason="x" * 2001), supplier.headers, 422, None)

    first_dispute = _statement("SupplyLinkDispute", link)
    disputed = supply.post(dispute, first_dispute, supplier.headers)
    assert disputed.status_code == 201
    after = disputed.json()["link"]
    _refused(
        supply,
        dispute,
        _statement("SupplyLinkDispute", after, reason="again"),
        supplier.headers,
        409,
        "LINK_ALREADY_DISPUTED",
    )
    confirmed = supply.post(confirm, _statement("SupplyLinkConfirmation", after), supplier.headers)
    assert confirmed.status_code == 201, confirmed.text
    # Replaying the first dispute now names a stale `previous`: refused, the confirmation stands.
    _refused(supply, dispute, first_dispute, supplier.headers, 409, "PREVIOUS_MISMATCH")
    again = _statement("SupplyLinkConfirmation", confirmed.json()["link"])
    _refused(supply, confirm, again, supplier.headers, 409, "LINK_ALREADY_CONFIRMED")


def test_grants_refuse_bad_input(supply: Supply, pair: tuple[Org, Org]) -> None:
    owner, auditor = pair
    path = f"/v1/organisations/{owner.id}/auditor-grants"
    grant = {"type": "AuditorGrant", "auditor": auditor.ref, "valid_until": "2099-01-01"}
    _refused(supply, path, grant | {"auditor": owner.ref}, owner.headers, 422, "SELF_GRANT")
    _refused(supply, path, grant | {"valid_until": "2020-01-01"}, owner.headers, 422, "GRANT_END_IN_PAST")
    unknown = {"identifier": {"scheme": "LEI", "value": lei("9695", "NOAUDITOR000")}}
    _refused(supply, path, grant | {"auditor": unknown}, owner.headers, 422, "UNKNOWN_ORGANISATION")
    _refused(supply, path, grant | {"auditor": {}}, owner.headers, 422, None)
    _refused(supply, path, grant, supply.admin_headers, 403, "NOT_YOUR_ORGANISATION")  # the organisation's own act
    created = supply.post(path, grant, owner.headers)
    assert created.status_code == 201
    _refused(supply, path, grant, owner.headers, 409, "GRANT_EXISTS")
    grant_id = created.json()["grant"]["id"]
    revoke = {"type": "AuditorGrantRevocation", "grant": grant_id}
    _refused(
        supply,
        f"{path}/{grant_id}/revocation",
        revoke | {"grant": "00000000-0000-4000-8000-000000000000"},
        owner.headers,
        422,
        "PATH_MISMATCH",
    )
    assert supply.post(f"{path}/{grant_id}/revocation", revoke, owner.headers).status_code == 200
    _refused(supply, f"{path}/{grant_id}/revocation", revoke, owner.headers, 409, "GRANT_ALREADY_REVOKED")
    missing = "00000000-0000-4000-8000-000000000000"
    _refused(supply, f"{path}/{missing}/revocation", revoke | {"grant": missing}, owner.headers, 404, None)


def test_tokens_refuse_bad_input(supply: Supply, pair: tuple[Org, Org]) -> None:
    owner, _ = pair
    path = f"/v1/organisations/{owner.id}/tokens"
    for scopes in ([], ["supply:admin"], ["supply:read"] * 4):
        _refused(supply, path, {"type": "OrganisationToken", "scopes": scopes}, supply.admin_headers, 422, None)
    missing = "/v1/organisations/00000000-0000-4000-8000-000000000000/tokens"
    _refused(supply, missing, {"type": "OrganisationToken", "scopes": ["supply:read"]}, supply.admin_headers, 404, None)


def _write_paths(supply: Supply, pair: tuple[Org, Org]) -> list[tuple[str, dict[str, str]]]:
    owner, supplier = pair
    link = supply.declare(owner, supplier)
    zero = "00000000-0000-4000-8000-000000000000"
    return [
        ("/v1/organisations", supply.admin_headers),
        (f"/v1/organisations/{owner.id}/tokens", supply.admin_headers),
        (f"/v1/organisations/{owner.id}/tokens/0123456789abcdef/revocation", supply.admin_headers),
        (f"/v1/organisations/{owner.id}/auditor-grants", owner.headers),
        (f"/v1/organisations/{owner.id}/auditor-grants/{zero}/revocation", owner.headers),
        ("/v1/facilities", owner.headers),
        ("/v1/products", owner.headers),
        ("/v1/supply-links", owner.headers),
        (f"/v1/supply-links/{link['id']}/confirmation", supplier.headers),
        (f"/v1/supply-links/{link['id']}/dispute", supplier.headers),
    ]


def test_every_write_path_refuses_malformed_and_oversized_bodies(supply: Supply, pair: tuple[Org, Org]) -> None:
    for path, headers in _write_paths(supply, pair):
        before = _tree_size(supply)
        malformed = supply.client.post(path, content=b'{"type": "', headers={**headers, **JSON})
        assert (malformed.status_code, malformed.json()["code"]) == (400, "INVALID_JSON"), (path, malformed.text)
        huge = supply.client.post(path, content=b"[" + b"0," * 600_000 + b"0]", headers={**headers, **JSON})
        assert huge.status_code == 413, path
        not_json = supply.client.post(
            path, content=b"type=Organisation", headers={**headers, "content-type": "text/plain"}
        )
        assert not_json.status_code == 415, path
        wrong_shape = supply.client.post(path, content=b"[]", headers={**headers, **JSON})
        assert wrong_shape.status_code == 422, path
        assert _tree_size(supply) == before


def test_oversized_fields_are_refused(supply: Supply, pair: tuple[Org, Org]) -> None:
    owner, _ = pair
    facility = {"type": "Facility", "organisation_id": owner.id, "name": "n", "address": "a" * 1001, "country": "IT"}
    _refused(supply, "/v1/facilities", facility, owner.headers, 422, None)
    product = {"type": "Product", "organisation_id": owner.id, "name": "n" * 501, "gtin": "4006381333931"}
    _refused(supply, "/v1/products", product, owner.headers, 422, None)
    label = {"type": "OrganisationToken", "scopes": ["supply:read"], "label": "l" * 201}
    _refused(supply, f"/v1/organisations/{owner.id}/tokens", label, supply.admin_headers, 422, None)
