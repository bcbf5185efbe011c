"""Supply chains: organisations, facilities, products, supply links, auditor access, chain queries and exports.

Supply-chain data is commercially sensitive. Every endpoint here needs a Bearer token: an organisation's
API token (issued by the operator) or the operator's admin token. An organisation's chain is readable by
the organisation, the auditors it has granted access and the operator; see `ecolabel_registry.supply.auth`.
Every write logs the exact request body as a private `supply_chain` leaf and answers with its receipt.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Path, Query, Response, status
from sqlalchemy import Connection, Engine

from ecolabel_registry.api.deps import ContextDep, OrganisationPrincipal, RawBody
from ecolabel_registry.api.moments import parse_moment
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.clock import now_us
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.errors import (
    Conflict,
    Forbidden,
    HistoryConflict,
    MalformedJSON,
    NotFound,
    Unauthorized,
    UnknownParty,
    UnsupportedMediaType,
    ValidationFailed,
)
from ecolabel_registry.schemas import ReceiptOut
from ecolabel_registry.supply import (
    access,
    chain,
    downloads,
    impact,
    links,
    parties,
    whoami,
)
from ecolabel_registry.supply import audit as audits
from ecolabel_registry.supply.answers import AuditReport, Impact, SupplyChain
from ecolabel_registry.supply.downloads import MEDIA_TYPES, ExportFormat
from ecolabel_registry.supply.outputs import (
    FacilityOut,
    FacilityRegistered,
    GrantList,
    GrantWritten,
    LinkOut,
    LinkPage,
    LinkState,
    LinkWritten,
    OrganisationDetail,
    OrganisationRegistered,
    ProductOut,
    ProductRegistered,
    TokenIssued,
    TokenRevoked,
)
from ecolabel_registry.supply.risk import LowRiskPolicy
from ecolabel_registry.supply.schemas import (
    INSTANT_PATTERN,
    FacilityRegistration,
    GrantRequest,
    GrantRevocation,
    LinkConfirmation,
    LinkDeclaration,
    LinkDispute,
    OrganisationRegistration,
    ProductRegistration,
    TokenRequest,
    TokenRevocation,
)
from ecolabel_registry.supply.whoami import Me
from verification.leaf import to_microseconds

router = APIRouter(route_class=StrictJSONRoute, tags=["supply chain"])

_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
OrganisationId = Annotated[str, Path(pattern=_UUID, description="the organisation's registry id")]
FacilityId = Annotated[str, Path(pattern=_UUID)]
ProductId = Annotated[str, Path(pattern=_UUID)]
GrantId = Annotated[str, Path(pattern=_UUID)]
TokenId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]
LinkId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the declaration")]
CertificateId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the credential")]
AsOf = Annotated[
    str | None,
    Query(pattern=INSTANT_PATTERN, description="the date the chain is read on (default: now); a date means 00:00Z"),
]
Depth = Annotated[int | None, Query(ge=1, le=256, description="tiers to follow (default and maximum: settings)")]

_WRITE = (MalformedJSON, UnsupportedMediaType, ValidationFailed, Unauthorized, Forbidden, UnknownParty, Conflict)
_READ = (Unauthorized, Forbidden, NotFound, ValidationFailed)


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One consistent view for answers read with several queries (REPEATABLE READ on PostgreSQL; SQLite's
    read transaction in WAL mode is already a snapshot)."""
    with engine.connect() as raw:
        isolated = raw.execution_options(isolation_level="REPEATABLE READ") if raw.dialect.name == "postgresql" else raw
        yield isolated


def _at(as_of: str | None, default: int, name: str = "as_of") -> int:
    moment = parse_moment(as_of, name)
    return default if moment is None else to_microseconds(moment)


def _depth(context: ContextDep, depth: int | None) -> int:
    limit = context.settings.supply_max_depth
    if depth is not None and depth > limit:
        raise ValidationFailed(f"depth is at most {limit}", code="DEPTH_TOO_LARGE", max_depth=limit)
    return depth or limit


# --- organisations, tokens and auditor grants -----------------------------------------------------------


@router.post(
    "/v1/organisations",
    operation_id="registerOrganisation",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_WRITE),
)
def register_organisation(
    body: OrganisationRegistration, document: RawBody, principal: OrganisationPrincipal, context: ContextDep
) -> OrganisationRegistered:
    """Register an organisation with its names, country and identifiers (operator only).

    Identifiers are checked (LEI and USCC check characters, GLN check digit, VAT by country) and must be
    written in their normal form; an identifier names at most one organisation.
    """
    with write_connection(context.engine) as connection:
        organisation, receipt = parties.register_organisation(
            connection, context.note_signer, body, document, principal=principal
        )
    return OrganisationRegistered(organisation=organisation, receipt=ReceiptOut.of(receipt))


@router.get("/v1/me", operation_id="whoAmI", responses=openapi_responses(*_READ))
def who_am_i(principal: OrganisationPrincipal, context: ContextDep) -> Me:
    """Who this token stands for, and whose supply chains it may read now (its own, and by auditor grant)."""
    with context.engine.connect() as connection:
        return whoami.describe(connection, principal, now_us())


@router.get("/v1/organisations/{organisation_id}", operation_id="getOrganisation", responses=openapi_responses(*_READ))
def get_organisation(
    organisation_id: OrganisationId, principal: OrganisationPrincipal, context: ContextDep
) -> OrganisationDetail:
    """An organisation with its identifiers, facilities and products (readers of its chain only)."""
    with context.engine.connect() as connection:
        return parties.organisation_detail(connection, principal, organisation_id, now_us())


@router.post(
    "/v1/organisations/{organisation_id}/tokens",
    operation_id="issueToken",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_WRITE, NotFound),
)
def issue_token(
    organisation_id: OrganisationId,
    body: TokenRequest,
    document: RawBody,
    principal: OrganisationPrincipal,
    context: ContextDep,
) -> TokenIssued:
    """Issue an API token for an organisation (operator only). The token is in this response only: the
    registry keeps just the SHA-256 of its secret part. Scopes: supply:read, supply:write, supply:grant."""
    with write_connection(context.engine) as connection:
        token, details, receipt = access.issue_token(
            connection, context.note_signer, organisation_id, body, document, principal=principal
        )
    return TokenIssued(token=token, details=details, receipt=ReceiptOut.of(receipt))


@router.post(
    "/v1/organisations/{organisation_id}/tokens/{token_id}/revocation",
    operation_id="revokeToken",
    responses=openapi_responses(*_WRITE, NotFound),
)
def revoke_token(
    organisation_id: OrganisationId,
    *,
    token_id: TokenId,
    body: TokenRevocation,
    document: RawBody,
    principal: OrganisationPrincipal,
    context: ContextDep,
) -> TokenRevoked:
    """Revoke an organisation's token at once (operator only)."""
    with write_connection(context.engine) as connection:
        details, receipt = access.revoke_token(
            connection,
            context.note_signer,
            organisation_id=organisation_id,
            token_id=token_id,
            body=body,
            document=document,
            principal=principal,
        )
    return TokenRevoked(details=details, receipt=ReceiptOut.of(receipt))


@router.post(
    "/v1/organisations/{organisation_id}/auditor-grants",
    operation_id="grantAuditor",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_WRITE),
)
def grant_auditor(
    organisation_id: OrganisationId,
    body: GrantRequest,
    document: RawBody,
    principal: OrganisationPrincipal,
    context: ContextDep,
) -> GrantWritten:
    """Let an auditor (an organisation with its own tokens) read this organisation's chain until
    `valid_until`. Only the organisation itself may grant, with a token holding supply:grant."""
    with write_connection(context.engine) as connection:
        grant, receipt = access.grant_auditor(
            connection, context.note_signer, principal, organisation_id=organisation_id, body=body, document=document
        )
    return GrantWritten(grant=grant, receipt=ReceiptOut.of(receipt))


@router.get(
    "/v1/organisations/{organisation_id}/auditor-grants",
    operation_id="listAuditorGrants",
    responses=openapi_responses(*_READ),
)
def list_auditor_grants(
    organisation_id: OrganisationId, principal: OrganisationPrincipal, context: ContextDep
) -> GrantList:
    """The organisation's auditor grants, past and present (the organisation itself and the operator)."""
    with context.engine.connect() as connection:
        return GrantList(items=access.grants(connection, principal, organisation_id))


@router.post(
    "/v1/organisations/{organisation_id}/auditor-grants/{grant_id}/revocation",
    operation_id="revokeAuditorGrant",
    responses=openapi_responses(*_WRITE, NotFound),
)
def revoke_auditor_grant(
    organisation_id: OrganisationId,
    *,
    grant_id: GrantId,
    body: GrantRevocation,
    document: RawBody,
    principal: OrganisationPrincipal,
    context: ContextDep,
) -> GrantWritten:
    """End an auditor's access now (the organisation itself, with supply:grant)."""
    with write_connection(context.engine) as connection:
        grant, receipt = access.revoke_grant(
            connection,
            context.note_signer,
            principal,
            organisation_id=organisation_id,
            grant_id=grant_id,
            body=body,
            document=document,
        )
    return GrantWritten(grant=grant, receipt=ReceiptOut.of(receipt))


# --- facilities and products ---------------------------------------------------------------------------


@router.post(
    "/v1/facilities",
    operation_id="registerFacility",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_WRITE),
)
def register_facility(
    body: FacilityRegistration, document: RawBody, principal: OrganisationPrincipal, context: ContextDep
) -> FacilityRegistered:
    """Register a facility (site) of an organisation: the organisation itself or the operator."""
    with write_connection(context.engine) as connection:
        facility, receipt = parties.register_facility(connection, context.note_signer, principal, body, document)
    return FacilityRegistered(facility=facility, receipt=ReceiptOut.of(receipt))


@router.get("/v1/facilities/{facility_id}", operation_id="getFacility", responses=openapi_responses(*_READ))
def get_facility(facility_id: FacilityId, principal: OrganisationPrincipal, context: ContextDep) -> FacilityOut:
    """A facility (readers of its organisation's chain)."""
    with context.engine.connect() as connection:
        return parties.facility_detail(connection, principal, facility_id, now_us())


@router.post(
    "/v1/products",
    operation_id="registerProduct",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_WRITE),
)
def register_product(
    body: ProductRegistration, document: RawBody, principal: OrganisationPrincipal, context: ContextDep
) -> ProductRegistered:
    """Register a product by GTIN (check digit verified): the organisation itself or the operator."""
    with write_connection(context.engine) as connection:
        product, receipt = parties.register_product(connection, context.note_signer, principal, body, document)
    return ProductRegistered(product=product, receipt=ReceiptOut.of(receipt))


@router.get("/v1/products/{product_id}", operation_id="getProduct", responses=openapi_responses(*_READ))
def get_product(product_id: ProductId, principal: OrganisationPrincipal, context: ContextDep) -> ProductOut:
    """A product (readers of its organisation's chain)."""
    with context.engine.connect() as connection:
        return parties.product_detail(connection, principal, product_id, now_us())


# --- supply links --------------------------------------------------------------------------------------


@router.post(
    "/v1/supply-links",
    operation_id="declareSupplyLink",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(
        *_WRITE, also={200: {"description": "The identical declaration was already logged", "model": LinkWritten}}
    ),
)
def declare_link(
    body: LinkDeclaration,
    document: RawBody,
    principal: OrganisationPrincipal,
    context: ContextDep,
    response: Response,
) -> LinkWritten:
    """Declare that a supplier supplies the buyer a product (GTIN) or material over a period (the buyer's
    token, supply:write). The period is half-open: `valid_from` inclusive, `valid_to` exclusive.

    The link's id is the SHA-256 of the body as sent: sending the same bytes again returns the original
    link and receipt (200). A link overlapping an existing one for the same parties and product is refused.
    A declaration opens nothing of the supplier's own chain: the buyer's chain views follow the link to the
    supplier's suppliers only once the supplier confirms it.
    """
    with write_connection(context.engine) as connection:
        link, receipt, created = links.declare(connection, context.note_signer, principal, body, document)
    if not created:
        response.status_code = status.HTTP_200_OK
    return LinkWritten(link=link, receipt=ReceiptOut.of(receipt), created=created)


@router.get("/v1/supply-links/{link_id}", operation_id="getSupplyLink", responses=openapi_responses(*_READ))
def get_link(link_id: LinkId, principal: OrganisationPrincipal, context: ContextDep) -> LinkOut:
    """A link with its confirmations and disputes (its buyer's chain readers, and its supplier)."""
    with context.engine.connect() as connection:
        return links.get(connection, principal, link_id, now_us())


@router.post(
    "/v1/supply-links/{link_id}/confirmation",
    operation_id="confirmSupplyLink",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_WRITE, NotFound, HistoryConflict),
)
def confirm_link(
    link_id: LinkId, body: LinkConfirmation, document: RawBody, principal: OrganisationPrincipal, context: ContextDep
) -> LinkWritten:
    """The supplier confirms the link (its token, supply:write). `previous` must be the link's
    `next_event.previous`: a replayed or out-of-order statement is refused. From then on the buyer's chain
    views follow the link to the supplier's own suppliers."""
    with write_connection(context.engine) as connection:
        link, receipt = links.confirm(
            connection, context.note_signer, principal, link_id=link_id, body=body, document=document
        )
    return LinkWritten(link=link, receipt=ReceiptOut.of(receipt), created=True)


@router.post(
    "/v1/supply-links/{link_id}/dispute",
    operation_id="disputeSupplyLink",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_WRITE, NotFound, HistoryConflict),
)
def dispute_link(
    link_id: LinkId, body: LinkDispute, document: RawBody, principal: OrganisationPrincipal, context: ContextDep
) -> LinkWritten:
    """The supplier disputes the link, with a reason (its token, supply:write). The buyer's chain views
    then stop at the supplier again, as for a link never confirmed."""
    with write_connection(context.engine) as connection:
        link, receipt = links.dispute(
            connection, context.note_signer, principal, link_id=link_id, body=body, document=document
        )
    return LinkWritten(link=link, receipt=ReceiptOut.of(receipt), created=True)


@router.get(
    "/v1/organisations/{organisation_id}/supply-links",
    operation_id="listSupplyLinks",
    responses=openapi_responses(*_READ),
)
def list_links(
    organisation_id: OrganisationId,
    *,
    principal: OrganisationPrincipal,
    context: ContextDep,
    role: Annotated[Literal["buyer", "supplier"], Query(description="links it buys through, or sells through")] = (
        "buyer"
    ),
    state: Annotated[LinkState | None, Query()] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> LinkPage:
    """The organisation's links as buyer (readers of its chain) or as supplier (itself and the operator:
    a supplier uses this to find declarations waiting for its confirmation)."""
    with context.engine.connect() as connection:
        items, next_cursor = links.page(
            connection, principal, organisation_id, role=role, state=state, cursor=cursor, limit=limit, now_us=now_us()
        )
    return LinkPage(items=items, next_cursor=next_cursor)


# --- chain queries -------------------------------------------------------------------------------------


@router.get(
    "/v1/organisations/{organisation_id}/supply-chain",
    operation_id="getSupplyChain",
    response_model=SupplyChain,
    responses=openapi_responses(*_READ),
)
def get_supply_chain(
    organisation_id: OrganisationId,
    principal: OrganisationPrincipal,
    context: ContextDep,
    as_of: AsOf = None,
    depth: Depth = None,
) -> Response:
    """The upstream chain on a date, to `depth` tiers: each organisation's shortest tier and path, its
    certificates and their status on that date, every link that holds then, and the cycles met.

    A link is followed to the supplier's own suppliers only when the supplier confirmed it. A supplier
    named by a declared or disputed link is shown by its public identity alone (names, country,
    identifiers), marked `upstream_withheld`, with certification `unknown`; the chain stops there."""
    now = now_us()
    with _snapshot(context.engine) as connection:
        answer = chain.supply_chain(
            connection, principal, organisation_id, at_us=_at(as_of, now), depth=_depth(context, depth), now_us=now
        )
    # A hot path (target: ≤ 100 ms at full depth, BENCHMARKS.md): plain data straight to orjson, in SupplyChain's shape.
    return Response(orjson.dumps(answer), media_type="application/json")


@router.get(
    "/v1/organisations/{organisation_id}/supply-chain/export",
    operation_id="exportSupplyChain",
    response_class=Response,
    responses=openapi_responses(*_READ)
    | {200: {"content": {media: {} for media, _ in MEDIA_TYPES.values()}, "description": "The export"}},
)
def export_supply_chain(
    organisation_id: OrganisationId,
    *,
    principal: OrganisationPrincipal,
    context: ContextDep,
    export_format: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.JSON,
    as_of: AsOf = None,
    depth: Depth = None,
) -> Response:
    """The chain as JSON, CSV (a row per link), Graphviz DOT or SVG (coloured by certification status), or
    as a signed evidence bundle (zip: JSON, CSV, DOT, audit report, documents with receipts, the signed
    checkpoint, and a SHA-256 manifest signed with the registry key of /.well-known/ecolabel-registry).
    Suppliers whose upstream is withheld (not confirmed) are marked in every format."""
    now = now_us()
    at, levels = _at(as_of, now), _depth(context, depth)
    with _snapshot(context.engine) as connection:
        found = downloads.export_chain(
            connection, context, principal, organisation_id, export_format, at_us=at, depth=levels, now_us=now
        )
    return Response(
        found.content,
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )


@router.get(
    "/v1/organisations/{organisation_id}/audit", operation_id="getAuditReport", responses=openapi_responses(*_READ)
)
def get_audit(
    organisation_id: OrganisationId,
    *,
    principal: OrganisationPrincipal,
    context: ContextDep,
    as_of: AsOf = None,
    depth: Depth = None,
    start: Annotated[str | None, Query(alias="from", pattern=INSTANT_PATTERN, description="compare from")] = None,
    end: Annotated[str | None, Query(alias="to", pattern=INSTANT_PATTERN, description="compare to")] = None,
) -> AuditReport:
    """Coverage per tier by count and by volume (unknown is never counted as certified), certificates
    expiring within 30/60/90 days, data gaps, the share of low-risk suppliers (China's green supply-chain
    index; the definition is the deployment's, echoed in `low_risk.policy`), and with `from` and `to`
    what changed between those dates. A link its supplier has not confirmed covers nothing: its volume and
    its withheld supplier count as unknown, and apart as `unconfirmed`."""
    if (start is None) != (end is None):
        raise ValidationFailed("give both `from` and `to`, or neither", code="BAD_PERIOD")
    now = now_us()
    between = (_at(start, now, "from"), _at(end, now, "to")) if start is not None and end is not None else None
    with _snapshot(context.engine) as connection:
        return audits.audit(
            connection,
            principal,
            organisation_id,
            at_us=_at(as_of, now),
            depth=_depth(context, depth),
            between=between,
            policy=LowRiskPolicy.from_settings(context.settings),
            now_us=now,
        )


@router.get(
    "/v1/certificates/{certificate_id}/impact", operation_id="getCertificateImpact", responses=openapi_responses(*_READ)
)
def get_impact(
    certificate_id: CertificateId, principal: OrganisationPrincipal, context: ContextDep, as_of: AsOf = None
) -> Impact:
    """Which buyers depend downstream on this certificate on a date, and through which links (confirmed by
    their suppliers). The operator sees all of them; an organisation or auditor sees only those in chains
    it may read (`restricted`)."""
    now = now_us()
    with _snapshot(context.engine) as connection:
        return impact.impact(
            connection,
            principal,
            certificate_id,
            at_us=_at(as_of, now),
            max_depth=context.settings.supply_max_depth,
            now_us=now,
        )


# --- logged documents ----------------------------------------------------------------------------------


@router.get(
    "/v1/supply-documents/{leaf_index}",
    operation_id="getSupplyDocument",
    response_class=Response,
    responses=openapi_responses(*_READ) | {200: {"content": {"application/json": {}}, "description": "The bytes"}},
)
def get_supply_document(
    leaf_index: Annotated[int, Path(ge=0, le=2**63 - 1)], principal: OrganisationPrincipal, context: ContextDep
) -> Response:
    """The exact bytes of a logged supply-chain document, for those who may read it (documents of a chain:
    its readers; grants and tokens: the organisation itself and the operator; any document: the party it
    names): their SHA-256 is the commitment the public log shows at this leaf (`/v1/log/entries`). Check
    them with `.../receipt`."""
    with context.engine.connect() as connection:
        row = access.read_document(connection, principal, leaf_index, now_us())
    return Response(bytes(row["document"]), media_type="application/json")


@router.get(
    "/v1/supply-documents/{leaf_index}/receipt",
    operation_id="getSupplyDocumentReceipt",
    responses=openapi_responses(*_READ),
)
def get_supply_document_receipt(
    leaf_index: Annotated[int, Path(ge=0, le=2**63 - 1)], principal: OrganisationPrincipal, context: ContextDep
) -> ReceiptOut:
    """The receipt of a logged supply-chain document: with its bytes, checkable offline
    (`verification.receipt.verify_receipt`)."""
    with context.engine.connect() as connection:
        return ReceiptOut.of(access.document_receipt(connection, principal, leaf_index, now_us()))
