"""Agreement events: a party narrows its own recognition alone; widening waits for the parties it affects.

The rules (chain links, effective times, who must sign which change) are
`verification.agreements.check_next_event`, so an offline verifier applies exactly the same ones. An
event that needs only its issuer joins the chain at once. One that needs more (a renewal, or lifting a
suspension another party imposed) is logged as a proposal and joins the chain, at the log time of the
last approval, once every party it needs has logged an `AgreementEventApproval` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeVar

from sqlalchemy import Connection, RowMapping

from ecolabel_registry import clock
from ecolabel_registry.agreements import lookup, repository
from ecolabel_registry.agreements.schemas import AgreementEventOut
from ecolabel_registry.approvals import ProposalState
from ecolabel_registry.approvals import repository as proposals
from ecolabel_registry.approvals.repository import ProposalKind
from ecolabel_registry.errors import Conflict, DocumentInvalid, HistoryConflict, NotAParty, NotFound
from ecolabel_registry.log import service as log
from ecolabel_registry.programmes import keys
from ecolabel_registry.rejections import refuse
from verification.agreements import (
    AgreementEventRecord,
    AgreementRecord,
    Standing,
    approvers_needed,
    check_next_event,
    standing_on,
)
from verification.documents import IssuedPayload, SignedDocument, logged_payload, open_document
from verification.errors import VerificationError
from verification.jws import read_protected_header
from verification.keys import require_key_valid_at
from verification.leaf import DocumentKind, to_microseconds
from verification.note import NoteSigner
from verification.payloads import TYP, AgreementEvent, AgreementEventApproval
from verification.receipt import Receipt
from verification.status import ChainHead

P = TypeVar("P", bound=IssuedPayload)


@dataclass(frozen=True)
class _Signed:
    """An agreement event verified when it was logged: payload, JWS hash, signing kid and the JWS itself."""

    event: AgreementEvent
    sha256: str
    kid: str
    token: str


@dataclass(frozen=True)
class EventOutcome:
    state: ProposalState
    event: AgreementEventOut
    approved_by: tuple[str, ...]
    awaiting: tuple[str, ...]
    standing: Standing
    receipt: Receipt


def submit(connection: Connection, signer: NoteSigner, agreement_id: str, token: str) -> EventOutcome:
    reservation = log.reserve(connection)
    row, record = _load(connection, agreement_id)
    try:
        document = _open(connection, token, AgreementEvent, TYP["agreement_event"], reservation.integrated_us)
        event = document.payload
        if event.agreement != agreement_id:
            raise DocumentInvalid("the event names another agreement", code="WRONG_AGREEMENT")
        if event.programme_id not in record.agreement.parties:
            raise NotAParty(f"{event.programme_id} is not a party to agreement {agreement_id}", code="NOT_A_PARTY")
        if proposals.get(connection, ProposalKind.AGREEMENT_EVENT, agreement_id, document.sha256) is not None:
            raise Conflict("this event was already proposed; approve it instead", code="ALREADY_PROPOSED")
        required = check_next_event(record, _head(row), event)
    except VerificationError as exc:
        raise refuse(exc) from exc
    (receipt,) = log.append(
        connection, signer, [log.Document(DocumentKind.AGREEMENT_EVENT, token.encode("ascii"))], reservation
    )
    approved = frozenset({event.programme_id})
    awaiting = approvers_needed(required, approved)
    if not awaiting:
        signed = _Signed(event, document.sha256, document.key.kid, token)
        stored = _join(connection, row, signed, leaf_index=receipt.leaf_index, joined_us=receipt.integrated_us)
        after = replace(record, events=(*record.events, AgreementEventRecord.of(event, receipt.integrated_us)))
        standing = standing_on(after, at=clock.now()).standing
        return EventOutcome(ProposalState.APPLIED, stored, tuple(approved), (), standing, receipt)
    proposal = {
        "sha256": document.sha256,
        "kind": ProposalKind.AGREEMENT_EVENT.value,
        "subject": agreement_id,
        "sequence": event.sequence,
        "leaf_index": receipt.leaf_index,
        "integrated_us": receipt.integrated_us,
    }
    proposals.insert_proposal(connection, proposal, event.programme_id)
    shown = _event_out(
        _Signed(event, document.sha256, document.key.kid, token), receipt.leaf_index, receipt.integrated_us
    )
    standing = standing_on(record, at=clock.now()).standing
    return EventOutcome(ProposalState.PENDING, shown, tuple(approved), awaiting, standing, receipt)


def approve(
    connection: Connection, signer: NoteSigner, agreement_id: str, event_sha256: str, token: str
) -> EventOutcome:
    """Log a party's approval of a proposed event; the event joins the chain once every needed party approved."""
    reservation = log.reserve(connection)
    row, record = _load(connection, agreement_id)
    proposal = proposals.get(connection, ProposalKind.AGREEMENT_EVENT, agreement_id, event_sha256)
    if proposal is None:
        raise NotFound(f"no proposed event {event_sha256} of agreement {agreement_id}")
    if proposal["applied_us"] is not None:
        raise Conflict("this event has already joined the agreement's chain", code="ALREADY_APPLIED")
    token_bytes = bytes(proposal["document"])
    event = logged_payload(token_bytes, AgreementEvent)
    try:
        document = _open(
            connection, token, AgreementEventApproval, TYP["agreement_event_approval"], reservation.integrated_us
        )
        approval = document.payload
        if approval.agreement != agreement_id or approval.event != event_sha256:
            raise DocumentInvalid("the approval names another agreement or event", code="WRONG_EVENT")
        if approval.programme_id not in record.agreement.parties:
            raise NotAParty(f"{approval.programme_id} is not a party to agreement {agreement_id}", code="NOT_A_PARTY")
        if event.sequence <= row["event_count"]:
            raise HistoryConflict(
                f"event {event.sequence} was taken by another event; propose it again as {row['event_count'] + 1}",
                code="PROPOSAL_STALE",
            )
        required = check_next_event(record, _head(row), event)
    except VerificationError as exc:
        raise refuse(exc) from exc
    approvers = frozenset(proposals.signers(connection, event_sha256))
    if approval.programme_id in approvers:
        raise Conflict(f"{approval.programme_id} has already approved this event", code="ALREADY_APPROVED")
    if approval.programme_id not in required:
        raise Conflict(f"this event does not need {approval.programme_id}'s approval", code="APPROVAL_NOT_NEEDED")
    logged = log.Document(DocumentKind.AGREEMENT_EVENT_APPROVAL, token.encode("ascii"))
    (receipt,) = log.append(connection, signer, [logged], reservation)
    proposals.record_approval(
        connection,
        {
            "proposal_sha256": event_sha256,
            "signer": approval.programme_id,
            "sha256": document.sha256,
            "leaf_index": receipt.leaf_index,
            "signed_us": receipt.integrated_us,
        },
    )
    approved = approvers | {approval.programme_id}
    awaiting = approvers_needed(required, approved)
    proposed = token_bytes.decode("ascii")
    kid = str(read_protected_header(proposed)["kid"])  # verified when the proposal was logged
    signed = _Signed(event, event_sha256, kid, proposed)
    if awaiting:
        shown = _event_out(signed, proposal["leaf_index"], proposal["integrated_us"])
        standing = standing_on(record, at=clock.now()).standing
        return EventOutcome(ProposalState.PENDING, shown, tuple(sorted(approved)), awaiting, standing, receipt)
    stored = _join(connection, row, signed, leaf_index=proposal["leaf_index"], joined_us=receipt.integrated_us)
    proposals.mark_applied(connection, event_sha256, receipt.integrated_us)
    after = replace(record, events=(*record.events, AgreementEventRecord.of(event, receipt.integrated_us)))
    standing = standing_on(after, at=clock.now()).standing
    return EventOutcome(ProposalState.APPLIED, stored, tuple(sorted(approved)), (), standing, receipt)


def _load(connection: Connection, agreement_id: str) -> tuple[RowMapping, AgreementRecord]:
    row = repository.get(connection, agreement_id)
    if row is None:
        raise NotFound(f"no agreement {agreement_id}")
    record = lookup.record_of(
        row,
        repository.parties_of(connection, [agreement_id])[agreement_id],
        repository.events_of(connection, [agreement_id])[agreement_id],
    )
    return row, record


def _head(row: RowMapping) -> ChainHead:
    return ChainHead(next_sequence=row["event_count"] + 1, previous_sha256=row["last_event_sha256"] or row["id"])


def _open(connection: Connection, token: str, model: type[P], typ: str, logged_us: int) -> SignedDocument[P]:
    document = open_document(token, model, typ, lambda p, kid: keys.load(connection, [(p, kid)]).get((p, kid)))
    require_key_valid_at(document.key, logged_us)
    return document


def _join(
    connection: Connection, row: RowMapping, signed: _Signed, *, leaf_index: int, joined_us: int
) -> AgreementEventOut:
    """Append the event to the agreement's chain; `joined_us` is when it took effect in the registry's log."""
    stored = _stored(signed, leaf_index, joined_us) | {"agreement_id": row["id"]}
    if not repository.append_event(connection, stored, expected_count=row["event_count"]):
        raise HistoryConflict(
            "another event was recorded first; fetch the agreement and retry", code="CONCURRENT_EVENT"
        )
    return lookup.event_out({**stored, "document": signed.token.encode("ascii")})


def _event_out(signed: _Signed, leaf_index: int, integrated_us: int) -> AgreementEventOut:
    return lookup.event_out({**_stored(signed, leaf_index, integrated_us), "document": signed.token.encode("ascii")})


def _stored(signed: _Signed, leaf_index: int, integrated_us: int) -> dict[str, object]:
    event = signed.event
    return {
        "sequence": event.sequence,
        "change": event.change.value,
        "effective_us": to_microseconds(event.effective_at),
        "effective_until_us": to_microseconds(event.effective_until) if event.effective_until else None,
        "reason": event.reason,
        "issuer_id": event.programme_id,
        "sha256": signed.sha256,
        "signing_kid": signed.kid,
        "leaf_index": leaf_index,
        "integrated_us": integrated_us,
    }
