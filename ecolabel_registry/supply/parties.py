"""Organisations, facilities and products: registering them (each write logged) and reading them back.

Every write here logs the exact request body as a `supply_chain` leaf and records, in `supply_documents`,
whose chain the document belongs to, so that `documents.read` can hand the bytes to those allowed to
see them and nobody else.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, RowMapping

from ecolabel_registry.errors import Conflict, NotFound, UnknownParty
from ecolabel_registry.log import service as log
from ecolabel_registry.supply import auth, repository
from ecolabel_registry.supply.outputs import (
    FacilityOut,
    IdentifierOut,
    OrganisationDetail,
    OrganisationOut,
    ProductOut,
)
from ecolabel_registry.supply.schemas import (
    Coordinates,
    FacilityRef,
    FacilityRegistration,
    OrganisationRegistration,
    PartyRef,
    ProductRegistration,
    Scope,
)
from verification.leaf import DocumentKind, format_log_time
from verification.note import NoteSigner
from verification.receipt import Receipt


class Action(StrEnum):
    """What a logged supply-chain document did (kept beside the leaf, for access checks and bundles)."""

    ORGANISATION = "organisation"
    FACILITY = "facility"
    PRODUCT = "product"
    TOKEN = "token"  # noqa: S105  (an action name, not a secret)
    TOKEN_REVOCATION = "token_revocation"  # noqa: S105  (an action name)
    GRANT = "auditor_grant"
    GRANT_REVOCATION = "auditor_grant_revocation"
    LINK_DECLARATION = "link_declaration"
    LINK_CONFIRMATION = "link_confirmation"
    LINK_DISPUTE = "link_dispute"


def append(connection: Connection, signer: NoteSigner, reservation: log.Reservation, body: bytes) -> Receipt:
    """Log a request body as received: the public log shows only its SHA-256 (DocumentKind.SUPPLY_CHAIN)."""
    (receipt,) = log.append(connection, signer, [log.Document(DocumentKind.SUPPLY_CHAIN, body)], reservation)
    return receipt


def record(
    connection: Connection, receipt: Receipt, action: Action, *, owner: str, subject: str, party: str | None
) -> None:
    """Say whose chain a logged document belongs to (`owner`) and which other organisation may read it
    (`party`); called after the rows it refers to exist (foreign keys)."""
    repository.insert_document(
        connection, receipt.leaf_index, action.value, organisation_id=owner, subject_id=subject, party_id=party
    )


def resolve_party(connection: Connection, ref: PartyRef, role: str) -> str:
    if ref.organisation_id is not None:
        if repository.organisation(connection, ref.organisation_id) is None:
            raise UnknownParty(f"no organisation {ref.organisation_id} ({role})", code="UNKNOWN_ORGANISATION")
        return ref.organisation_id
    if ref.identifier is None:  # unreachable: PartyRef requires exactly one of the two
        raise UnknownParty(f"the {role} is not named", code="UNKNOWN_ORGANISATION")
    key = (ref.identifier.scheme.value, ref.identifier.value)
    found = repository.identifiers_taken(connection, [key]).get(key)
    if found is None:
        raise UnknownParty(f"no organisation has {key[0]} {key[1]} ({role})", code="UNKNOWN_ORGANISATION")
    return found


def resolve_facility(connection: Connection, ref: FacilityRef) -> RowMapping:
    row = (
        repository.facility(connection, ref.facility_id)
        if ref.facility_id is not None
        else repository.facility_by_gln(connection, ref.gln or "")
    )
    if row is None:
        raise UnknownParty("no such facility", code="UNKNOWN_FACILITY")
    return row


def register_organisation(
    connection: Connection,
    signer: NoteSigner,
    body: OrganisationRegistration,
    document: bytes,
    *,
    principal: auth.Principal,
) -> tuple[OrganisationOut, Receipt]:
    """Register an organisation (operator only)."""
    auth.require_operator(principal)
    reservation = log.reserve(connection)
    pairs = sorted((i.scheme.value, i.value) for i in body.identifiers)  # listed as every read lists them
    taken = repository.identifiers_taken(connection, pairs)
    if taken:
        listed = [f"{scheme} {value}" for scheme, value in sorted(taken)]
        raise Conflict(f"already registered: {', '.join(listed)}", code="IDENTIFIER_TAKEN", identifiers=listed)
    receipt = append(connection, signer, reservation, document)
    row: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "country": body.country,
        "names": dict(body.names),
        "leaf_index": receipt.leaf_index,
        "recorded_us": receipt.integrated_us,
    }
    identifier_rows = [{"organisation_id": row["id"], "scheme": s, "value": v} for s, v in pairs]
    repository.insert_organisation(connection, row, identifier_rows)
    record(connection, receipt, Action.ORGANISATION, owner=row["id"], subject=row["id"], party=None)
    return organisation_out(row, pairs), receipt


def register_facility(
    connection: Connection, signer: NoteSigner, principal: auth.Principal, body: FacilityRegistration, document: bytes
) -> tuple[FacilityOut, Receipt]:
    auth.require_organisation(principal, body.organisation_id, Scope.WRITE, operator=True)
    reservation = log.reserve(connection)
    resolve_party(connection, PartyRef(organisation_id=body.organisation_id), "owner")
    if body.gln is not None and repository.facility_by_gln(connection, body.gln) is not None:
        raise Conflict(f"GLN {body.gln} already names a facility", code="GLN_TAKEN")
    receipt = append(connection, signer, reservation, document)
    row: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "organisation_id": body.organisation_id,
        "name": body.name,
        "address": body.address,
        "country": body.country,
        "latitude": body.coordinates.latitude if body.coordinates else None,
        "longitude": body.coordinates.longitude if body.coordinates else None,
        "gln": body.gln,
        "leaf_index": receipt.leaf_index,
        "recorded_us": receipt.integrated_us,
    }
    repository.insert_facility(connection, row)
    record(connection, receipt, Action.FACILITY, owner=body.organisation_id, subject=row["id"], party=None)
    return facility_out(row), receipt


def register_product(
    connection: Connection, signer: NoteSigner, principal: auth.Principal, body: ProductRegistration, document: bytes
) -> tuple[ProductOut, Receipt]:
    auth.require_organisation(principal, body.organisation_id, Scope.WRITE, operator=True)
    reservation = log.reserve(connection)
    resolve_party(connection, PartyRef(organisation_id=body.organisation_id), "owner")
    if repository.products_by_gtin(connection, [body.gtin]):
        raise Conflict(f"GTIN {body.gtin} is already registered", code="GTIN_TAKEN")
    receipt = append(connection, signer, reservation, document)
    row: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "organisation_id": body.organisation_id,
        "name": body.name,
        "gtin": body.gtin,
        "model": body.model,
        "category": body.category,
        "leaf_index": receipt.leaf_index,
        "recorded_us": receipt.integrated_us,
    }
    repository.insert_product(connection, row)
    record(connection, receipt, Action.PRODUCT, owner=body.organisation_id, subject=row["id"], party=None)
    return product_out(row), receipt


def organisation_detail(
    connection: Connection, principal: auth.Principal, organisation_id: str, now_us: int
) -> OrganisationDetail:
    auth.require_chain_reader(connection, principal, organisation_id, now_us)
    row = repository.organisation(connection, organisation_id)
    if row is None:
        raise NotFound(f"no organisation {organisation_id}")
    base = organisation_out(row, repository.identifiers_of(connection, [organisation_id]).get(organisation_id, []))
    return OrganisationDetail(
        **base.model_dump(),
        facilities=[facility_out(f) for f in repository.facilities_of(connection, organisation_id)],
        products=[product_out(p) for p in repository.products_of(connection, organisation_id)],
    )


def facility_detail(connection: Connection, principal: auth.Principal, facility_id: str, now_us: int) -> FacilityOut:
    principal.require(Scope.READ)
    row = repository.facility(connection, facility_id)
    if row is None:
        raise NotFound(f"no facility {facility_id}")
    auth.require_chain_reader(connection, principal, row["organisation_id"], now_us)
    return facility_out(row)


def product_detail(connection: Connection, principal: auth.Principal, product_id: str, now_us: int) -> ProductOut:
    principal.require(Scope.READ)
    row = repository.product(connection, product_id)
    if row is None:
        raise NotFound(f"no product {product_id}")
    auth.require_chain_reader(connection, principal, row["organisation_id"], now_us)
    return product_out(row)


def organisation_out(row: RowMapping | dict[str, Any], identifiers: list[tuple[str, str]]) -> OrganisationOut:
    return OrganisationOut(
        id=row["id"],
        names=row["names"],
        country=row["country"],
        identifiers=[IdentifierOut(scheme=s, value=v) for s, v in identifiers],
        recorded_at=format_log_time(row["recorded_us"]),
        leaf_index=row["leaf_index"],
    )


def facility_out(row: RowMapping | dict[str, Any]) -> FacilityOut:
    has_position = row["latitude"] is not None and row["longitude"] is not None
    return FacilityOut(
        id=row["id"],
        organisation_id=row["organisation_id"],
        name=row["name"],
        address=row["address"],
        country=row["country"],
        coordinates=Coordinates(latitude=row["latitude"], longitude=row["longitude"]) if has_position else None,
        gln=row["gln"],
        recorded_at=format_log_time(row["recorded_us"]),
        leaf_index=row["leaf_index"],
    )


def product_out(row: RowMapping | dict[str, Any]) -> ProductOut:
    return ProductOut(
        id=row["id"],
        organisation_id=row["organisation_id"],
        name=row["name"],
        gtin=row["gtin"],
        model=row["model"],
        category=row["category"],
        recorded_at=format_log_time(row["recorded_us"]),
        leaf_index=row["leaf_index"],
    )
