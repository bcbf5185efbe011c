"""Programmes: registration by the operator, public reads, and key history as a JWKS."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Response, status
from sqlalchemy import Connection

from ecolabel_registry.api import status_lists
from ecolabel_registry.api.deps import AdminOnly, ContextDep, RawBody
from ecolabel_registry.api.problems import SIGNED_DOCUMENT_ERRORS, openapi_responses
from ecolabel_registry.api.routers import PrefixRouter
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.approvals import ProposalState
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
from ecolabel_registry.programmes.key_events import KeyEventOutcome
from ecolabel_registry.programmes.schemas import (
    KeyEventSubmitted,
    KeySet,
    PendingKeyEvent,
    PendingKeyEvents,
    ProgrammeOut,
    ProgrammePage,
    ProgrammeRecovered,
    ProgrammeRecoveryRequest,
    ProgrammeRegistered,
    ProgrammeRegistration,
    SignedApproval,
    SignedKeyEvent,
)
from ecolabel_registry.schemas import ReceiptOut, Slug
from verification.leaf import format_log_time

router = PrefixRouter(prefix="/v1/programmes", route_class=StrictJSONRoute, tags=["programmes"])
ProgrammeId = Annotated[Slug, Path(description="the programme's slug, e.g. eu-ecolabel")]
Sha256Path = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the proposed event's JWS")]


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

    This is the trust root for everything the programme later signs. `root_keys` (a threshold of them)
    alone authorise later key changes; `keys` are the signing keys for daily documents (certificates,
    status events, categories, agreements). The exact request body is logged.
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
    with context.read_engine().connect() as connection:
        items, next_cursor = service.page(connection, cursor, limit)
    return ProgrammePage(items=items, next_cursor=next_cursor)


@router.get("/{programme_id}", operation_id="getProgramme", responses=openapi_responses(NotFound))
def get_programme(programme_id: ProgrammeId, context: ContextDep) -> ProgrammeOut:
    """One programme."""
    with context.read_engine().connect() as connection:
        return service.get(connection, programme_id)


@router.get("/{programme_id}/keys", operation_id="getProgrammeKeys", responses=openapi_responses(NotFound))
def get_programme_keys(programme_id: ProgrammeId, context: ContextDep) -> KeySet:
    """The programme's key history as a JWKS, each key with its status and validity period."""
    with context.read_engine().connect() as connection:
        return service.key_set(connection, programme_id)


_SIGNED = (*SIGNED_DOCUMENT_ERRORS, WrongProgramme, NotFound)


_PROPOSAL_STATUS: dict[int | str, dict[str, Any]] = {
    202: {
        "model": KeyEventSubmitted,
        "description": "Logged as a proposal: more root keys must approve it before it applies",
    }
}


@router.post(
    "/{programme_id}/key-events",
    operation_id="submitKeyEvent",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_SIGNED, HistoryConflict, Conflict, also=_PROPOSAL_STATUS),
)
def submit_key_event(
    programme_id: ProgrammeId, body: SignedKeyEvent, context: ContextDep, response: Response
) -> KeyEventSubmitted:
    """Add, retire or revoke a key, or change the root threshold, with a KeyEvent signed by a root key.

    Only the programme's root keys sign key events; its signing keys never can. When the root threshold
    is above one, the event is logged as a proposal (202) and applies once enough further roots have
    approved it (`POST …/key-events/{event_sha256}/approvals`). Key events carry a sequence number
    (1, 2, …) so a replayed or reordered one is refused. Revocation names `compromisedSince`, never
    earlier than the key's addition: documents the key signed that were logged from then on stop
    verifying.
    """
    with write_connection(context.engine) as connection:
        outcome = key_events.submit(connection, context.note_signer, programme_id, body.event)
        answer = _key_event_answer(connection, programme_id, outcome)
    if outcome.state is ProposalState.PENDING:
        response.status_code = status.HTTP_202_ACCEPTED
    return answer


@router.post(
    "/{programme_id}/key-events/{event_sha256}/approvals",
    operation_id="approveKeyEvent",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_SIGNED, HistoryConflict, Conflict, also=_PROPOSAL_STATUS),
)
def approve_key_event(
    programme_id: ProgrammeId, event_sha256: Sha256Path, body: SignedApproval, context: ContextDep, response: Response
) -> KeyEventSubmitted:
    """A further root key approves a proposed key event (a KeyEventApproval naming it, signed by that root).

    The event applies (201) once the root threshold is met; until then the answer is 202. A proposal whose
    sequence number another event has taken meanwhile can never apply (`PROPOSAL_STALE`).
    """
    with write_connection(context.engine) as connection:
        outcome = key_events.approve(connection, context.note_signer, programme_id, event_sha256, body.approval)
        answer = _key_event_answer(connection, programme_id, outcome)
    if outcome.state is ProposalState.PENDING:
        response.status_code = status.HTTP_202_ACCEPTED
    return answer


@router.get(
    "/{programme_id}/key-events/pending", operation_id="listPendingKeyEvents", responses=openapi_responses(NotFound)
)
def list_pending_key_events(programme_id: ProgrammeId, context: ContextDep) -> PendingKeyEvents:
    """Key events proposed and still waiting for root approvals, with the JWS each root reviews."""
    with context.read_engine().connect() as connection:
        found = key_events.pending(connection, programme_id)
    return PendingKeyEvents(
        programme_id=programme_id,
        items=[
            PendingKeyEvent(
                event_sha256=sha,
                key_event=event.model_dump(mode="json", by_alias=True, exclude_none=True),
                approved_by=signers,
                approvals_needed=needed,
                proposed_at=format_log_time(proposed_us),
                document=token,
            )
            for sha, event, signers, needed, proposed_us, token in found
        ],
    )


@router.post(
    "/{programme_id}/recovery",
    operation_id="recoverProgramme",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(MalformedJSON, Unauthorized, NotFound, UnsupportedMediaType, ValidationFailed),
)
def recover_programme(
    programme_id: ProgrammeId, request: ProgrammeRecoveryRequest, context: ContextDep, _: AdminOnly
) -> ProgrammeRecovered:
    """Replace the root keys of a programme that lost them (operator only; the admin token is required).

    The registry signs a ProgrammeRecovery document with its own key and logs it; every earlier root is
    retired and the recovery takes the programme's next key-event sequence number, so no proposal made
    with the old roots can complete afterwards. Anyone replaying the log sees and checks it.
    """
    with write_connection(context.engine) as connection:
        token, receipt = key_events.recover(connection, context.note_signer, context.signing_key, programme_id, request)
        key_set = service.key_set(connection, programme_id)
    return ProgrammeRecovered(recovery=token, keys=key_set, receipt=ReceiptOut.of(receipt))


def _key_event_answer(connection: Connection, programme_id: str, outcome: KeyEventOutcome) -> KeyEventSubmitted:
    return KeyEventSubmitted(
        state=outcome.state,
        event_sha256=outcome.event_sha256,
        approved_by=list(outcome.approved_by),
        approvals_needed=outcome.approvals_needed,
        key_event=outcome.event.model_dump(mode="json", by_alias=True, exclude_none=True),
        keys=service.key_set(connection, programme_id),
        receipt=ReceiptOut.of(outcome.receipt),
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
    with context.read_engine().connect() as connection:
        return CategoryList(items=categories.list_for(connection, programme_id))


# Status lists live under each programme's path: /v1/programmes/{programme_id}/status-lists/… (api/status_lists.py).
router.include_router(status_lists.router)
