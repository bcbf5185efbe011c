"""Who may see and write what: every supply-chain endpoint refuses a missing token, another organisation's
token, a token without the needed scope and an auditor whose grant has ended, then lets the right caller in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, update

from ecolabel_registry.db.models import AuditorGrant
from tests.registry.factories import certificate_id, certifier
from tests.supply.world import Org, Supply, gs1

READ, WRITE, GRANT = "supply:read", "supply:write", "supply:grant"


@dataclass
class World:
    buyer: Org
    supplier: Org
    stranger: Org
    auditor: Org
    lapsed_auditor: Org
    link: dict[str, Any]
    facility: str
    product: str
    grant: str
    token_id: str
    supply: Supply

    def scoped(self, organisation: Org, scopes: list[str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.supply.token(organisation.id, scopes)}"}


@pytest.fixture
def world(supply: Supply, admin_headers: dict[str, str], engine: Engine) -> World:
    buyer, supplier = supply.organisation("Buyer"), supply.organisation("Supplier")
    stranger, auditor, lapsed = (
        supply.organisation("Stranger"),
        supply.organisation("Auditor"),
        supply.organisation("Lapsed"),
    )
    link = supply.declare(buyer, supplier, gtin=gs1("400638133393"))
    facility = supply.post(
        "/v1/facilities",
        {"type": "Facility", "organisation_id": buyer.id, "name": "Depot", "address": "Via Roma 1", "country": "IT"},
        buyer.headers,
    ).json()["facility"]["id"]
    product = supply.post(
        "/v1/products",
        {"type": "Product", "organisation_id": buyer.id, "name": "Ream", "gtin": gs1("800123456789")},
        buyer.headers,
    ).json()["product"]["id"]
    grant = supply.grant(buyer, auditor)["id"]
    lapsed_grant = supply.grant(buyer, lapsed)["id"]
    with engine.begin() as connection:  # the grant ended yesterday (no clock to wind forward in a real DB)
        table = AuditorGrant.__table__  # type: ignore[attr-defined]
        connection.execute(update(table).where(table.c.id == lapsed_grant).values(valid_until_us=1))
    issued = supply.post(
        f"/v1/organisations/{buyer.id}/tokens", {"type": "OrganisationToken", "scopes": [READ]}, admin_headers
    ).json()["details"]["id"]
    return World(buyer, supplier, stranger, auditor, lapsed, link, facility, product, grant, issued, supply)


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: Callable[[World], str]
    body: Callable[[World], dict[str, Any]] | None
    scope: str | None  # the scope the right caller needs; None: operator only
    caller: Callable[[World], Org | None]  # who may do it (None: the operator)
    stranger_status: int = 403
    ok_status: int = 200


def _org(w: World) -> Org:
    return w.buyer


ENDPOINTS = [
    Endpoint(
        "register organisation",
        "POST",
        lambda _: "/v1/organisations",
        lambda _: {"type": "Organisation", "names": {"en": "New"}, "country": "DE"},
        None,
        lambda _: None,
        ok_status=201,
    ),
    Endpoint("read organisation", "GET", lambda w: f"/v1/organisations/{w.buyer.id}", None, READ, _org),
    Endpoint(
        "issue token",
        "POST",
        lambda w: f"/v1/organisations/{w.buyer.id}/tokens",
        lambda _: {"type": "OrganisationToken", "scopes": [READ]},
        None,
        lambda _: None,
        ok_status=201,
    ),
    Endpoint(
        "revoke token",
        "POST",
        lambda w: f"/v1/organisations/{w.buyer.id}/tokens/{w.token_id}/revocation",
        lambda w: {"type": "OrganisationTokenRevocation", "token": w.token_id},
        None,
        lambda _: None,
    ),
    Endpoint(
        "grant an auditor",
        "POST",
        lambda w: f"/v1/organisations/{w.buyer.id}/auditor-grants",
        lambda w: {"type": "AuditorGrant", "auditor": w.stranger.ref, "valid_until": "2099-01-01"},
        GRANT,
        _org,
        ok_status=201,
    ),
    Endpoint("list grants", "GET", lambda w: f"/v1/organisations/{w.buyer.id}/auditor-grants", None, READ, _org),
    Endpoint(
        "revoke a grant",
        "POST",
        lambda w: f"/v1/organisations/{w.buyer.id}/auditor-grants/{w.grant}/revocation",
        lambda w: {"type": "AuditorGrantRevocation", "grant": w.grant},
        GRANT,
        _org,
    ),
    Endpoint(
        "register facility",
        "POST",
        lambda _: "/v1/facilities",
        lambda w: {"type": "Facility", "organisation_id": w.buyer.id, "name": "B", "address": "x", "country": "IT"},
        WRITE,
        _org,
        ok_status=201,
    ),
    Endpoint("read facility", "GET", lambda w: f"/v1/facilities/{w.facility}", None, READ, _org),
    Endpoint(
        "register product",
        "POST",
        lambda _: "/v1/products",
        lambda w: {"type": "Product", "organisation_id": w.buyer.id, "name": "P", "gtin": gs1("800123456780")},
        WRITE,
        _org,
        ok_status=201,
    ),
    Endpoint("read product", "GET", lambda w: f"/v1/products/{w.product}", None, READ, _org),
    Endpoint(
        "declare link",
        "POST",
        lambda _: "/v1/supply-links",
        lambda w: w.supply.declaration(w.buyer, w.supplier, material="pulp"),
        WRITE,
        _org,
        ok_status=201,
    ),
    Endpoint("read link", "GET", lambda w: f"/v1/supply-links/{w.link['id']}", None, READ, _org),
    Endpoint(
        "confirm link",
        "POST",
        lambda w: f"/v1/supply-links/{w.link['id']}/confirmation",
        lambda w: {"type": "SupplyLinkConfirmation", "link": w.link["id"], "previous": w.link["id"]},
        WRITE,
        lambda w: w.supplier,
        ok_status=201,
    ),
    Endpoint(
        "dispute link",
        "POST",
        lambda w: f"/v1/supply-links/{w.link['id']}/dispute",
        lambda w: {"type": "SupplyLinkDispute", "link": w.link["id"], "previous": w.link["id"], "reason": "no"},
        WRITE,
        lambda w: w.supplier,
        ok_status=201,
    ),
    Endpoint("links as buyer", "GET", lambda w: f"/v1/organisations/{w.buyer.id}/supply-links", None, READ, _org),
    Endpoint(
        "links as supplier",
        "GET",
        lambda w: f"/v1/organisations/{w.supplier.id}/supply-links?role=supplier",
        None,
        READ,
        lambda w: w.supplier,
    ),
    Endpoint("supply chain", "GET", lambda w: f"/v1/organisations/{w.buyer.id}/supply-chain", None, READ, _org),
    *(
        Endpoint(
            f"export {export_format}",
            "GET",
            lambda w, f=export_format: f"/v1/organisations/{w.buyer.id}/supply-chain/export?format={f}",  # type: ignore[misc]
            None,
            READ,
            _org,
        )
        for export_format in ("json", "csv", "dot", "svg", "bundle")
    ),
    Endpoint("audit", "GET", lambda w: f"/v1/organisations/{w.buyer.id}/audit", None, READ, _org),
    Endpoint(
        "document",
        "GET",
        lambda w: f"/v1/supply-documents/{w.link['leaf_index']}",
        None,
        READ,
        _org,
        stranger_status=404,  # one answer for "not there" and "not yours": leaf indexes can be enumerated
    ),
    Endpoint(
        "document receipt",
        "GET",
        lambda w: f"/v1/supply-documents/{w.link['leaf_index']}/receipt",
        None,
        READ,
        _org,
        stranger_status=404,
    ),
]


def _call(world: World, endpoint: Endpoint, headers: dict[str, str]) -> Any:
    body = endpoint.body(world) if endpoint.body else None
    return world.supply.client.request(endpoint.method, endpoint.path(world), json=body, headers=headers)


def _missing_scope(endpoint: Endpoint) -> list[str]:
    return [scope for scope in (READ, WRITE, GRANT) if scope != endpoint.scope]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_only_the_right_caller_gets_in(world: World, endpoint: Endpoint) -> None:
    missing = _call(world, endpoint, {})
    assert (missing.status_code, missing.json()["code"]) == (401, "TOKEN_MISSING"), missing.text
    forged = _call(world, endpoint, {"Authorization": "Bearer elr_0123456789abcdef_forged-secret"})
    assert (forged.status_code, forged.json()["code"]) == (401, "TOKEN_INVALID")

    stranger = _call(world, endpoint, world.stranger.headers)
    assert stranger.status_code == (403 if endpoint.scope is None else endpoint.stranger_status), stranger.text
    lapsed = _call(world, endpoint, world.lapsed_auditor.headers)
    assert lapsed.status_code == (403 if endpoint.scope is None else endpoint.stranger_status), lapsed.text

    caller = endpoint.caller(world)
    if caller is None:  # operator only: even the organisation itself is refused
        own = _call(world, endpoint, world.buyer.headers)
        assert (own.status_code, own.json()["code"]) == (403, "OPERATOR_ONLY")
        allowed = _call(world, endpoint, world.supply.admin_headers)
    else:
        wrong_scope = _call(world, endpoint, world.scoped(caller, _missing_scope(endpoint)))
        assert (wrong_scope.status_code, wrong_scope.json()["code"]) == (403, "SCOPE_MISSING"), wrong_scope.text
        allowed = _call(world, endpoint, caller.headers)
    assert allowed.status_code == endpoint.ok_status, allowed.text


# Who else audits the organisation is not part of its chain: the grants list is its own and the operator's.
READ_ENDPOINTS = [e for e in ENDPOINTS if e.method == "GET" and e.caller is _org and e.name != "list grants"]


@pytest.mark.parametrize("endpoint", READ_ENDPOINTS, ids=[e.name for e in READ_ENDPOINTS])
def test_a_granted_auditor_reads_the_chain_until_the_grant_is_revoked(world: World, endpoint: Endpoint) -> None:
    assert _call(world, endpoint, world.auditor.headers).status_code == 200
    revoked = world.supply.post(
        f"/v1/organisations/{world.buyer.id}/auditor-grants/{world.grant}/revocation",
        {"type": "AuditorGrantRevocation", "grant": world.grant},
        world.buyer.headers,
    )
    assert revoked.status_code == 200, revoked.text
    assert _call(world, endpoint, world.auditor.headers).status_code == endpoint.stranger_status


def test_auditors_never_write_and_never_see_whom_the_organisation_sells_to(world: World) -> None:
    declared = world.supply.post(
        "/v1/supply-links", world.supply.declaration(world.buyer, world.supplier, material="x"), world.auditor.headers
    )
    assert (declared.status_code, declared.json()["code"]) == (403, "NOT_YOUR_ORGANISATION")
    sales = world.supply.client.get(
        f"/v1/organisations/{world.buyer.id}/supply-links", params={"role": "supplier"}, headers=world.auditor.headers
    )
    assert sales.status_code == 403
    grants = world.supply.client.get(
        f"/v1/organisations/{world.buyer.id}/auditor-grants", headers=world.auditor.headers
    )
    assert grants.status_code == 403


def test_the_operator_reads_every_chain_but_makes_no_statement_for_a_party(world: World) -> None:
    admin = world.supply.admin_headers
    assert world.supply.client.get(f"/v1/organisations/{world.buyer.id}/supply-chain", headers=admin).status_code == 200
    declared = world.supply.post("/v1/supply-links", world.supply.declaration(world.buyer, world.supplier), admin)
    assert (declared.status_code, declared.json()["code"]) == (403, "NOT_YOUR_ORGANISATION")
    confirmed = world.supply.post(
        f"/v1/supply-links/{world.link['id']}/confirmation",
        {"type": "SupplyLinkConfirmation", "link": world.link["id"], "previous": world.link["id"]},
        admin,
    )
    assert (confirmed.status_code, confirmed.json()["code"]) == (403, "NOT_YOUR_ORGANISATION")


def test_impact_shows_another_organisation_nothing_of_this_chain(world: World, admin_headers: dict[str, str]) -> None:
    """The certificate is public, so impact answers everyone with supply:read, but only with the parts of
    chains the caller may read; it is refused without a token, with a forged one, or without the scope."""
    confirmed = world.supply.confirm(world.supplier, world.link)  # impact follows only confirmed links
    assert confirmed.status_code == 201, confirmed.text
    programme = certifier(world.supply.client, admin_headers, "eu-ecolabel")
    holder = {"name": "Supplier", "country": "CN", "identifiers": world.supplier.identifiers}
    credential = programme.sign(
        programme.credential_payload("IT/044/777")
        | {"credentialSubject": programme.credential_payload()["credentialSubject"] | {"holder": holder}},
        "vc+jwt",
    )
    assert world.supply.client.post("/v1/certificates", json={"credential": credential}).status_code == 201
    path = f"/v1/certificates/{certificate_id(credential)}/impact"
    operator = world.supply.client.get(path, headers=admin_headers).json()
    assert [a["organisation_id"] for a in operator["affected"]] == [world.buyer.id]  # the buyer depends on it
    client = world.supply.client
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer elr_0123456789abcdef_x"}).status_code == 401
    assert client.get(path, headers=world.scoped(world.stranger, [WRITE])).json()["code"] == "SCOPE_MISSING"
    for outsider in (world.stranger, world.lapsed_auditor):
        answer = client.get(path, headers=outsider.headers).json()
        assert (answer["restricted"], answer["affected"], answer["directly_covered_links"]) == (True, [], [])


def test_revoked_and_expired_tokens_are_refused(world: World, admin_headers: dict[str, str]) -> None:
    supply = world.supply
    token = supply.token(world.buyer.id, [READ])
    token_id = token.split("_")[1]
    revoked = supply.post(
        f"/v1/organisations/{world.buyer.id}/tokens/{token_id}/revocation",
        {"type": "OrganisationTokenRevocation", "token": token_id},
        admin_headers,
    )
    assert revoked.status_code == 200, revoked.text
    again = supply.post(
        f"/v1/organisations/{world.buyer.id}/tokens/{token_id}/revocation",
        {"type": "OrganisationTokenRevocation", "token": token_id},
        admin_headers,
    )
    assert (again.status_code, again.json()["code"]) == (409, "TOKEN_ALREADY_REVOKED")
    read = supply.client.get(f"/v1/organisations/{world.buyer.id}", headers={"Authorization": f"Bearer {token}"})
    assert (read.status_code, read.json()["code"]) == (401, "TOKEN_REVOKED")
    past = supply.post(
        f"/v1/organisations/{world.buyer.id}/tokens",
        {"type": "OrganisationToken", "scopes": [READ], "expires_at": "2020-01-01"},
        admin_headers,
    )
    assert (past.status_code, past.json()["code"]) == (422, "EXPIRY_IN_PAST")
    wrong_secret = token.rsplit("_", 1)[0] + "_" + "A" * 43
    refused = supply.client.get(
        f"/v1/organisations/{world.buyer.id}", headers={"Authorization": f"Bearer {wrong_secret}"}
    )
    assert (refused.status_code, refused.json()["code"]) == (401, "TOKEN_INVALID")


def test_tokens_are_stored_only_as_hashes(world: World, engine: Engine) -> None:
    token = world.supply.token(world.buyer.id, [READ])
    secret = token.split("_", 2)[2]
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT secret_sha256 FROM organisation_tokens").all()
        documents = connection.exec_driver_sql("SELECT document FROM log_entries").all()
    assert all(secret.encode() not in bytes(row[0]) for row in rows)
    assert all(secret.encode() not in bytes(row[0]) for row in documents)


def test_an_auditor_reads_the_chains_documents_but_not_whom_else_it_admits(
    world: World, admin_headers: dict[str, str]
) -> None:
    """Grants and tokens are the organisation's own business, as their listings are: an auditor reads the
    documents of the chain it was granted and its own grant, never another auditor's grant or a token's."""
    supply = world.supply
    other_grant = supply.grant(world.buyer, world.stranger)["leaf_index"]
    own_grant = next(
        g["leaf_index"]
        for g in supply.client.get(
            f"/v1/organisations/{world.buyer.id}/auditor-grants", headers=world.buyer.headers
        ).json()["items"]
        if g["id"] == world.grant
    )
    token = supply.post(
        f"/v1/organisations/{world.buyer.id}/tokens", {"type": "OrganisationToken", "scopes": [READ]}, admin_headers
    ).json()["details"]["leaf_index"]
    facility = supply.client.get(f"/v1/facilities/{world.facility}", headers=world.buyer.headers).json()["leaf_index"]

    def status(leaf: int, headers: dict[str, str]) -> tuple[int, int]:
        document = supply.client.get(f"/v1/supply-documents/{leaf}", headers=headers).status_code
        receipt = supply.client.get(f"/v1/supply-documents/{leaf}/receipt", headers=headers).status_code
        return document, receipt

    assert status(facility, world.auditor.headers) == (200, 200)
    assert status(own_grant, world.auditor.headers) == (200, 200)
    assert status(other_grant, world.auditor.headers) == (404, 404)
    assert status(token, world.auditor.headers) == (404, 404)
    for leaf in (other_grant, token):
        assert status(leaf, world.buyer.headers) == (200, 200)
        assert status(leaf, admin_headers) == (200, 200)
    assert status(other_grant, world.stranger.headers) == (200, 200)  # the auditor named in it
