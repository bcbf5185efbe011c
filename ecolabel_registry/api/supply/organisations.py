"""Organisations, their API tokens and the auditor grants they give (organisations, tokens, grants, /v1/me)."""

from __future__ import annotations

from fastapi import APIRouter, status

from ecolabel_registry.api.deps import ContextDep, OrganisationPrincipal, RawBody
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.api.supply.params import (
    _READ,
    _WRITE,
    GrantId,
    OrganisationId,
    TokenId,
)
from ecolabel_registry.clock import now_us
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.errors import (
    NotFound,
)
from ecolabel_registry.schemas import ReceiptOut
from ecolabel_registry.supply import (
    access,
    parties,
    whoami,
)
from ecolabel_registry.supply.outputs import (
    GrantList,
    GrantWritten,
    OrganisationDetail,
    OrganisationRegistered,
    TokenIssued,
    TokenRevoked,
)
from ecolabel_registry.supply.schemas import (
    GrantRequest,
    GrantRevocation,
    OrganisationRegistration,
    TokenRequest,
    TokenRevocation,
)
from ecolabel_registry.supply.whoami import Me

router = APIRouter(route_class=StrictJSONRoute, tags=["supply chain"])


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
