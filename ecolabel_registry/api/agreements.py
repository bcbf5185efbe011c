"""Mutual-recognition agreements: proposal, the parties' signatures, signed events, and lookups."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Response, status

from ecolabel_registry.agreements import events, lookup, signing
from ecolabel_registry.agreements.schemas import (
    AgreementDetail,
    AgreementEventSubmitted,
    AgreementPage,
    AgreementSubmitted,
    SubmitAgreement,
    SubmitAgreementEvent,
    SubmitEventApproval,
    SubmitSignature,
)
from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.moments import MOMENT_DESCRIPTION, parse_moment
from ecolabel_registry.api.problems import SIGNED_DOCUMENT_ERRORS, openapi_responses
from ecolabel_registry.api.routers import PrefixRouter
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.approvals import ProposalState
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.errors import (
    Conflict,
    HistoryConflict,
    NotAParty,
    NotFound,
    UnknownAgreementParty,
    ValidationFailed,
)
from ecolabel_registry.schemas import ReceiptOut, Slug

router = PrefixRouter(prefix="/v1/agreements", route_class=StrictJSONRoute, tags=["agreements"])
AgreementId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the agreement's JWS")]
EventSha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the proposed event's JWS")]
_DOCUMENT_ERRORS = SIGNED_DOCUMENT_ERRORS
_AGAIN: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The identical document was already registered; the original receipt",
        "model": AgreementSubmitted,
    }
}


@router.post(
    "",
    operation_id="proposeAgreement",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_DOCUMENT_ERRORS, UnknownAgreementParty, also=_AGAIN),
)
def propose_agreement(body: SubmitAgreement, context: ContextDep, response: Response) -> AgreementSubmitted:
    """Register a mutual-recognition agreement signed by the party proposing it.

    The proposer's signature counts as its signing; every other party then posts an `AgreementSignature`
    to `/v1/agreements/{id}/signatures`. The agreement is in force only once every party has signed.
    Its id is the hex SHA-256 of the JWS exactly as posted.
    """
    with write_connection(context.engine) as connection:
        agreement, receipt, created = signing.propose(connection, context.note_signer, body.agreement)
    if not created:
        response.status_code = status.HTTP_200_OK
    return AgreementSubmitted(agreement=agreement, receipt=ReceiptOut.of(receipt), created=created)


@router.post(
    "/{agreement_id}/signatures",
    operation_id="signAgreement",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_DOCUMENT_ERRORS, NotFound, NotAParty, Conflict, also=_AGAIN),
)
def sign_agreement(
    agreement_id: AgreementId, body: SubmitSignature, context: ContextDep, response: Response
) -> AgreementSubmitted:
    """Add one party's signature (an `AgreementSignature` naming this agreement's id), separately logged.

    Only a party may sign, and each party once; posting the identical signature again returns its receipt.
    """
    with write_connection(context.engine) as connection:
        agreement, receipt, created = signing.sign(connection, context.note_signer, agreement_id, body.signature)
    if not created:
        response.status_code = status.HTTP_200_OK
    return AgreementSubmitted(agreement=agreement, receipt=ReceiptOut.of(receipt), created=created)


_PROPOSED: dict[int | str, dict[str, Any]] = {
    202: {
        "model": AgreementEventSubmitted,
        "description": "Logged as a proposal: other parties must approve it before it joins the chain",
    }
}


@router.post(
    "/{agreement_id}/events",
    operation_id="submitAgreementEvent",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_DOCUMENT_ERRORS, NotFound, NotAParty, HistoryConflict, Conflict, also=_PROPOSED),
)
def submit_agreement_event(
    agreement_id: AgreementId, body: SubmitAgreementEvent, context: ContextDep, response: Response
) -> AgreementEventSubmitted:
    """Append a signed agreement event by a party: renewed (with a new effectiveUntil), suspended,
    reinstated or terminated, each from its effectiveAt.

    A recognising party suspends or terminates its *own* recognition alone (201); termination is final.
    A change that widens recognition waits (202) for the parties it affects to approve it at
    `…/events/{sha256}/approvals`: a renewal needs every recognising party, and lifting a suspension needs
    the party that imposed it. Nothing changes an agreement before every party has signed it. The event
    must carry the next sequence number and the SHA-256 of the previous event (for the first event: the
    agreement id); see `next_event` on the agreement. Replayed or forked events are refused.
    """
    with write_connection(context.engine) as connection:
        outcome = events.submit(connection, context.note_signer, agreement_id, body.event)
    return _event_answer(outcome, response)


@router.post(
    "/{agreement_id}/events/{event_sha256}/approvals",
    operation_id="approveAgreementEvent",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_DOCUMENT_ERRORS, NotFound, NotAParty, HistoryConflict, Conflict, also=_PROPOSED),
)
def approve_agreement_event(
    agreement_id: AgreementId,
    event_sha256: EventSha256,
    body: SubmitEventApproval,
    context: ContextDep,
    response: Response,
) -> AgreementEventSubmitted:
    """A party approves a proposed event with an `AgreementEventApproval` naming it, separately logged.

    The event joins the agreement's chain (201) when the last party it needs has approved; until then 202.
    A proposal whose sequence number another event took meanwhile can never apply (`PROPOSAL_STALE`).
    """
    with write_connection(context.engine) as connection:
        outcome = events.approve(connection, context.note_signer, agreement_id, event_sha256, body.approval)
    return _event_answer(outcome, response)


def _event_answer(outcome: events.EventOutcome, response: Response) -> AgreementEventSubmitted:
    if outcome.state is ProposalState.PENDING:
        response.status_code = status.HTTP_202_ACCEPTED
    return AgreementEventSubmitted(
        state=outcome.state,
        event=outcome.event,
        approved_by=list(outcome.approved_by),
        awaiting=list(outcome.awaiting),
        standing=outcome.standing,
        receipt=ReceiptOut.of(outcome.receipt),
    )


@router.get("", operation_id="findAgreements", responses=openapi_responses(ValidationFailed))
def find_agreements(
    context: ContextDep,
    *,
    party: Annotated[Slug | None, Query(description="only agreements this programme is a party to")] = None,
    in_force_on: Annotated[
        str | None, Query(max_length=40, description=f"only agreements in force then: {MOMENT_DESCRIPTION}")
    ] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AgreementPage:
    """Agreements ordered by id, paged by cursor, each with its parties, signatures and standing."""
    moment = parse_moment(in_force_on, "in_force_on")
    with context.read_engine().connect() as connection:
        items, next_cursor = lookup.search(connection, party=party, in_force_on=moment, cursor=cursor, limit=limit)
    return AgreementPage(items=items, next_cursor=next_cursor)


@router.get("/{agreement_id}", operation_id="getAgreement", responses=openapi_responses(NotFound, ValidationFailed))
def get_agreement(
    agreement_id: AgreementId,
    context: ContextDep,
    as_of: Annotated[str | None, Query(max_length=40, description=f"standing then: {MOMENT_DESCRIPTION}")] = None,
) -> AgreementDetail:
    """One agreement: parties and who signed when, scope, events, standing, and every original document."""
    moment = parse_moment(as_of, "as_of")
    with context.read_engine().connect() as connection:
        return lookup.get(connection, agreement_id, at=moment)
