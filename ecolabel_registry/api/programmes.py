"""Programmes: registration by the operator, public reads, and key history as a JWKS."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from ecolabel_registry.api.deps import AdminOnly, ContextDep, RawBody
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.errors import (
    Conflict,
    MalformedJSON,
    NotFound,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from ecolabel_registry.programmes import service
from ecolabel_registry.programmes.schemas import (
    KeySet,
    ProgrammeOut,
    ProgrammePage,
    ProgrammeRegistered,
    ProgrammeRegistration,
)
from ecolabel_registry.schemas import ReceiptOut, Slug

router = APIRouter(prefix="/v1/programmes", route_class=StrictJSONRoute, tags=["programmes"])
ProgrammeId = Annotated[Slug, Path(description="the programme's slug, e.g. eu-ecolabel")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(MalformedJSON, Unauthorized, Conflict, UnsupportedMediaType, ValidationFailed),
)
def register_programme(
    registration: ProgrammeRegistration, document: RawBody, context: ContextDep, _: AdminOnly
) -> ProgrammeRegistered:
    """Register a programme and its first public keys (operator only; the admin token is required).

    This is the trust root for everything the programme later signs: key changes after this are
    documents signed by one of the programme's current keys. The exact request body is logged.
    """
    with write_connection(context.engine) as connection:
        programme, receipt = service.register(connection, context.note_signer, registration, document)
    return ProgrammeRegistered(programme=programme, receipt=ReceiptOut.of(receipt))


@router.get("", responses=openapi_responses())
def list_programmes(
    context: ContextDep,
    cursor: Annotated[str | None, Query(max_length=64, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ProgrammePage:
    """Every registered programme, ordered by id."""
    with context.engine.connect() as connection:
        items, next_cursor = service.page(connection, cursor, limit)
    return ProgrammePage(items=items, next_cursor=next_cursor)


@router.get("/{programme_id}", responses=openapi_responses(NotFound))
def get_programme(programme_id: ProgrammeId, context: ContextDep) -> ProgrammeOut:
    """One programme."""
    with context.engine.connect() as connection:
        return service.get(connection, programme_id)


@router.get("/{programme_id}/keys", responses=openapi_responses(NotFound))
def get_programme_keys(programme_id: ProgrammeId, context: ContextDep) -> KeySet:
    """The programme's key history as a JWKS, each key with its status and validity period."""
    with context.engine.connect() as connection:
        return service.key_set(connection, programme_id)
