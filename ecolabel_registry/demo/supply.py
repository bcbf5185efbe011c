"""Demo organisations and their multi-tier supply chains, written by the parties entitled to write them.

As on the HTTP API: the operator registers organisations and issues each an API token (kept in the key
directory); each organisation, authenticated by its own token (`supply.auth.authenticate`), registers
its facilities and products, declares its suppliers, confirms or disputes links naming it as supplier,
and grants the demo auditor read access. Every body is logged as sent, as a private supply-chain leaf.

A rerun recognises what exists by identifier, GLN, GTIN, the link's id (the SHA-256 of its
declaration, identical on every run) and the grants in force, and adds nothing.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import Connection

from ecolabel_registry.clock import now_us
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.demo import repository as demo_repository
from ecolabel_registry.demo.identifiers import gs1, identifier
from ecolabel_registry.demo.keys import TokenStore
from ecolabel_registry.demo.outcome import DemoLoadError, StepReport
from ecolabel_registry.demo.spec import GrantSpec, LinkSpec, OrganisationSpec, World
from ecolabel_registry.errors import RegistryError, Unauthorized
from ecolabel_registry.supply import access, auth, link_repository, links, parties, repository
from ecolabel_registry.supply.schemas import (
    FacilityRegistration,
    GrantRequest,
    LinkConfirmation,
    LinkDeclaration,
    LinkDispute,
    OrganisationRegistration,
    ProductRegistration,
    Scope,
    TokenRequest,
)
from verification.identifiers import normalise_gtin
from verification.leaf import from_microseconds

SCOPES = [scope.value for scope in Scope]


def body(document: dict[str, Any]) -> bytes:
    return orjson.dumps(document)


@dataclass
class Loading:
    connection: Connection
    context: RegistryContext
    world: World
    tokens: TokenStore
    report: StepReport
    ids: dict[str, str]  # organisation key -> registry id
    principals: dict[str, auth.Principal]


def load(context: RegistryContext, world: World, tokens: TokenStore) -> StepReport:
    report = StepReport("supply chains")
    started = time.perf_counter()
    with write_connection(context.engine) as connection:
        run = Loading(connection, context, world, tokens, report, {}, {})
        try:
            for organisation in world.organisations:
                _organisation(run, organisation)
            for organisation in world.organisations:
                _facilities_and_products(run, organisation)
            for link in world.supply_links:
                _link(run, link)
            for grant in world.auditor_grants:
                _grant(run, grant)
        except RegistryError as exc:
            raise DemoLoadError(f"the registry refused a demo supply-chain document: {exc.detail}") from exc
        suppliers = {link.supplier for link in world.supply_links}
        for buyer in dict.fromkeys(link.buyer for link in world.supply_links if link.buyer not in suppliers):
            name = world.organisation_by_key[buyer].names["en"]
            report.notes.append(f"chain of {name}: GET /v1/organisations/{run.ids[buyer]}/supply-chain")
    tokens.save()  # after the commit: a token is only worth keeping once the registry has it
    report.seconds = time.perf_counter() - started
    return report


def _organisation(run: Loading, spec: OrganisationSpec) -> None:
    pairs = [identifier(i) for i in spec.identifiers]
    if pairs:
        taken = repository.identifiers_taken(run.connection, pairs)
        owners = set(taken.values())
        if owners and (len(owners) > 1 or len(taken) != len(pairs)):
            raise DemoLoadError(f"demo organisation {spec.key}: some of its identifiers belong to another organisation")
        existing = next(iter(owners), None)
    else:  # nothing to look it up by but its name
        existing = demo_repository.organisations_without_identifiers(run.connection).get(spec.names["en"])
    if existing is not None:
        run.ids[spec.key] = existing
        run.report.present["organisations"] += 1
    else:
        document: dict[str, Any] = {"type": "Organisation", "names": spec.names, "country": spec.country}
        document["identifiers"] = [{"scheme": s, "value": v} for s, v in pairs]
        raw = body(document)
        registered, _ = parties.register_organisation(
            run.connection,
            run.context.note_signer,
            OrganisationRegistration.model_validate_json(raw),
            raw,
            principal=auth.OPERATOR,
        )
        run.ids[spec.key] = registered.id
        run.report.added["organisations"] += 1
    run.principals[spec.key] = _principal(run, spec.key)


def _principal(run: Loading, key: str) -> auth.Principal:
    """The organisation as its own token presents it; a missing or no longer valid token is replaced."""
    organisation_id = run.ids[key]
    saved = run.tokens.tokens.get(key)
    if saved is not None:
        try:
            principal = auth.authenticate(run.connection, saved, run.context.admin_token, now_us())
        except Unauthorized:
            principal = None
        if principal is not None and principal.organisation_id == organisation_id:
            run.report.present["tokens"] += 1
            return principal
    raw = body({"type": "OrganisationToken", "scopes": SCOPES, "label": "demo world (ecolabel-registry demo)"})
    token, _, _ = access.issue_token(
        run.connection,
        run.context.note_signer,
        organisation_id,
        TokenRequest.model_validate_json(raw),
        raw,
        principal=auth.OPERATOR,
    )
    run.tokens.tokens[key] = token
    run.report.added["tokens"] += 1
    return auth.authenticate(run.connection, token, run.context.admin_token, now_us())


def _facilities_and_products(run: Loading, spec: OrganisationSpec) -> None:
    principal, organisation_id = run.principals[spec.key], run.ids[spec.key]
    for facility in spec.facilities:
        gln = gs1(facility.gln)
        if repository.facility_by_gln(run.connection, gln) is not None:
            run.report.present["facilities"] += 1
            continue
        document: dict[str, Any] = {
            "type": "Facility",
            "organisation_id": organisation_id,
            "name": facility.name,
            "address": facility.address,
            "country": facility.country,
            "gln": gln,
        }
        if facility.coordinates:
            document["coordinates"] = facility.coordinates
        raw = body(document)
        parties.register_facility(
            run.connection, run.context.note_signer, principal, FacilityRegistration.model_validate_json(raw), raw
        )
        run.report.added["facilities"] += 1
    for product in spec.products:
        gtin = gs1(product.gtin)
        if repository.products_by_gtin(run.connection, [normalise_gtin(gtin)]):
            run.report.present["products"] += 1
            continue
        raw = body(
            {
                "type": "Product",
                "organisation_id": organisation_id,
                "name": product.name,
                "gtin": gtin,
                "model": product.model,
                "category": product.category,
            }
        )
        parties.register_product(
            run.connection, run.context.note_signer, principal, ProductRegistration.model_validate_json(raw), raw
        )
        run.report.added["products"] += 1


def _gtin_of(run: Loading, product_key: str) -> str:
    for organisation in run.world.organisations:
        for product in organisation.products:
            if product.key == product_key:
                return gs1(product.gtin)
    raise DemoLoadError(f"no demo product {product_key!r}")


def _gln_of(run: Loading, facility_key: str) -> str:
    for organisation in run.world.organisations:
        for facility in organisation.facilities:
            if facility.key == facility_key:
                return gs1(facility.gln)
    raise DemoLoadError(f"no demo facility {facility_key!r}")


def declaration(run: Loading, spec: LinkSpec) -> bytes:
    """The buyer's declaration; the same bytes on every run against one database, hence the same link id."""
    document: dict[str, Any] = {
        "type": "SupplyLinkDeclaration",
        "buyer_id": run.ids[spec.buyer],
        "supplier": {"organisation_id": run.ids[spec.supplier]},
        "valid_from": spec.valid_from.isoformat(),
        "occurred_at": spec.valid_from.isoformat(),
    }
    if spec.product:
        document["gtin"] = _gtin_of(run, spec.product)
    else:
        document["material"] = spec.material
    if spec.supplier_facility:
        document["supplier_facility"] = {"gln": _gln_of(run, spec.supplier_facility)}
    if spec.valid_to:
        document["valid_to"] = spec.valid_to.isoformat()
    if spec.share is not None:
        document["share"] = spec.share
    if spec.volume:
        document["volume"] = spec.volume
    if spec.evidence:
        document["evidence"] = spec.evidence
    return body(document)


def _link(run: Loading, spec: LinkSpec) -> None:
    raw = declaration(run, spec)
    link_id = hashlib.sha256(raw).hexdigest()  # how the registry names a link (see supply.links)
    row = link_repository.link(run.connection, link_id)
    if row is None:
        links.declare(
            run.connection,
            run.context.note_signer,
            run.principals[spec.buyer],
            LinkDeclaration.model_validate_json(raw),
            raw,
        )
        run.report.added["supply links"] += 1
        row = link_repository.link(run.connection, link_id)
    else:
        run.report.present["supply links"] += 1
    if spec.answer is None or row is None:
        return
    if row["event_count"] > 0:
        run.report.present["link answers"] += 1
        return
    supplier = run.principals[spec.supplier]
    statement: dict[str, Any] = {"link": link_id, "previous": row["last_document_sha256"]}
    if spec.answer == "confirm":
        answer = body({"type": "SupplyLinkConfirmation", **statement})
        links.confirm(
            run.connection, run.context.note_signer, supplier,
            link_id=link_id, body=LinkConfirmation.model_validate_json(answer), document=answer,
        )  # fmt: skip
    else:
        answer = body({"type": "SupplyLinkDispute", **statement, "reason": spec.dispute_reason or "disputed (demo)"})
        links.dispute(
            run.connection, run.context.note_signer, supplier,
            link_id=link_id, body=LinkDispute.model_validate_json(answer), document=answer,
        )  # fmt: skip
    run.report.added["link answers"] += 1


def _grant(run: Loading, spec: GrantSpec) -> None:
    organisation_id, auditor_id = run.ids[spec.organisation], run.ids[spec.auditor]
    now = now_us()
    if repository.active_grant_to(run.connection, organisation_id, auditor_id, now) is not None:
        run.report.present["auditor grants"] += 1
        return
    until = (from_microseconds(now) + timedelta(days=spec.valid_for_days)).date().isoformat()
    raw = body({"type": "AuditorGrant", "auditor": {"organisation_id": auditor_id}, "valid_until": until})
    access.grant_auditor(
        run.connection, run.context.note_signer, run.principals[spec.organisation],
        organisation_id=organisation_id, body=GrantRequest.model_validate_json(raw), document=raw,
    )  # fmt: skip
    run.report.added["auditor grants"] += 1
