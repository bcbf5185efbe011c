"""Programmes: registration by the operator, public reads, and key history as a JWKS."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from ecolabel_registry.api.deps import AdminOnly, ContextDep, RawBody
from ecolabel_registry.api.problems import SIGNED_DOCUMENT_ERRORS, openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.categories import service as categories
from ecolabel_registry.categories.schemas import CategoryDefined, CategoryList, SignedCategory
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.errors import (
    Conflict,
    HistoryConflict,
    MalformedJSON,
    NotFound,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
    WrongProgramme,
)
from ecolabel_registry.programmes import key_events, service
from ecolabel_registry.programmes.schemas import (
    KeyEventApplied,
    KeySet,
    ProgrammeOut,
    ProgrammePage,
    ProgrammeRegistered,
    ProgrammeRegistration,
    SignedKeyEvent,
)
from ecolabel_registry.schemas import ReceiptOut, Slug

router = APIRouter(prefix="/v1/programmes", route_class=StrictJSONRoute, tags=["programmes"])
ProgrammeId = Annotated[Slug, Path(description="the programme's slug, e.g. eu-ecolabel")]


@router.post(
    "",
    operation_id="registerProgramme",
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


@router.get("", operation_id="listProgrammes", responses=openapi_responses())
def list_programmes(
    context: ContextDep,
    cursor: Annotated[str | None, Query(max_length=64, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ProgrammePage:
    """Every registered programme, ordered by id."""
    with context.engine.connect() as connection:
        items, next_cursor = service.page(connection, cursor, limit)
    return ProgrammePage(items=items, next_cursor=next_cursor)


@router.get("/{programme_id}", operation_id="getProgramme", responses=openapi_responses(NotFound))
def get_programme(programme_id: ProgrammeId, context: ContextDep) -> ProgrammeOut:
    """One programme."""
    with context.engine.connect() as connection:
        return service.get(connection, programme_id)


@router.get("/{programme_id}/keys", operation_id="getProgrammeKeys", responses=openapi_responses(NotFound))
def get_programme_keys(programme_id: ProgrammeId, context: ContextDep) -> KeySet:
    """The programme's key history as a JWKS, each key with its status and validity period."""
    with context.engine.connect() as connection:
        return service.key_set(connection, programme_id)


_SIGNED = (*SIGNED_DOCUMENT_ERRORS, WrongProgramme, NotFound)


@router.post(
    "/{programme_id}/key-events",
    operation_id="submitKeyEvent",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_SIGNED, HistoryConflict, Conflict),
)
def submit_key_event(programme_id: ProgrammeId, body: SignedKeyEvent, context: ContextDep) -> KeyEventApplied:
    """Add, retire or revoke a key with a KeyEvent signed by a currently active key of the programme.

    Key events carry a sequence number (1, 2, …) so a replayed or reordered one is refused. Revocation
    names `compromisedSince`: documents the key signed that were logged from then on stop verifying.
    """
    with write_connection(context.engine) as connection:
        event, receipt = key_events.submit(connection, context.note_signer, programme_id, body.event)
        key_set = service.key_set(connection, programme_id)
    return KeyEventApplied(
        key_event=event.model_dump(mode="json", by_alias=True, exclude_none=True),
        keys=key_set,
        receipt=ReceiptOut.of(receipt),
    )


@router.post(
    "/{programme_id}/categories",
    operation_id="defineCategory",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(
        *_SIGNED,
        Conflict,
        also={200: {"description": "The identical definition was already registered", "model": CategoryDefined}},
    ),
)
def define_category(
    programme_id: ProgrammeId, body: SignedCategory, context: ContextDep, response: Response
) -> CategoryDefined:
    """Define one criteria version of a category, signed by the programme, with its crosswalk codes."""
    with write_connection(context.engine) as connection:
        category, receipt, created = categories.define(connection, context.note_signer, programme_id, body.category)
    if not created:
        response.status_code = status.HTTP_200_OK
    return CategoryDefined(category=category, receipt=ReceiptOut.of(receipt), created=created)


@router.get("/{programme_id}/categories", operation_id="listCategories", responses=openapi_responses(NotFound))
def list_categories(programme_id: ProgrammeId, context: ContextDep) -> CategoryList:
    """Every category version the programme has defined, with crosswalk codes and the signed document."""
    with context.engine.connect() as connection:
        return CategoryList(items=categories.list_for(connection, programme_id))
