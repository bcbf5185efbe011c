"""Agreements as the log makes them: signatures, event chains and their heads, replayed leaf by leaf.

The registry keeps agreements in tables; anyone holding the log rebuilds the same
`verification.agreements.AgreementRecord`s from its leaves, with the same rules the registry applied
when it accepted them (`check_next_event`, `approvers_needed`): an event that needs only its issuer
joins the chain at once; one that needs more joins, at the log time of the last approval it needs, as
the event logged at its proposal's leaf. The documents' signatures are checked before they get here
(`verification.replay.DocumentReplay`); this only follows what they say.

    replay = AgreementReplay()
    for entry in entries: replay.add(entry)           # log order
    replay.records_relevant_to("jea")                 # -> [AgreementRecord, ...]
    replay.head("<agreement id>")                     # -> its leaf and event head, as answers name it
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from verification.agreements import AgreementEventRecord, AgreementRecord, approvers_needed, check_next_event
from verification.documents import logged_payload
from verification.errors import HistoryInvalid
from verification.leaf import DocumentKind, LogEntry
from verification.payloads import Agreement, AgreementEvent, AgreementEventApproval, AgreementSignature
from verification.status import ChainHead


@dataclass(frozen=True)
class EventHead:
    """The last event of an agreement's chain: sequence (0: none), its JWS hash and its proposal's leaf."""

    sequence: int = 0
    sha256: str | None = None
    leaf_index: int | None = None


@dataclass
class _Agreement:
    record: AgreementRecord
    leaf_index: int
    head: EventHead = field(default_factory=EventHead)


@dataclass
class _Proposal:
    event: AgreementEvent
    leaf_index: int
    approved: set[str]


class AgreementReplay:
    """Every agreement logged so far, with its signatures and the events that joined its chain."""

    def __init__(self) -> None:
        self._agreements: dict[str, _Agreement] = {}
        self._proposals: dict[str, _Proposal] = {}

    def add(self, entry: LogEntry) -> None:
        """Follow one logged document (others are ignored); raise HistoryInvalid where the registry
        could not have accepted it."""
        document, kind = entry.document, entry.kind
        if document is None:
            return
        if kind is DocumentKind.AGREEMENT:
            agreement_id = hashlib.sha256(document).hexdigest()
            record = AgreementRecord(agreement_id, logged_payload(document, Agreement), entry.integrated_us)
            self._agreements[agreement_id] = _Agreement(record, entry.leaf_index)
        elif kind is DocumentKind.AGREEMENT_SIGNATURE:
            signature = logged_payload(document, AgreementSignature)
            held = self._held(signature.agreement)
            signatures = {**held.record.signatures, signature.programme_id: entry.integrated_us}
            held.record = replace(held.record, signatures=signatures)
        elif kind is DocumentKind.AGREEMENT_EVENT:
            event = logged_payload(document, AgreementEvent)
            held = self._held(event.agreement)
            required = check_next_event(held.record, _chain_head(held), event)
            sha256 = hashlib.sha256(document).hexdigest()
            proposal = _Proposal(event, entry.leaf_index, {event.programme_id})
            if approvers_needed(required, frozenset(proposal.approved)):
                self._proposals[sha256] = proposal
            else:
                self._join(held, proposal, sha256, entry.integrated_us)
        elif kind is DocumentKind.AGREEMENT_EVENT_APPROVAL:
            approval = logged_payload(document, AgreementEventApproval)
            held = self._held(approval.agreement)
            pending = self._proposals.get(approval.event)
            if pending is None or pending.event.agreement != approval.agreement:
                raise HistoryInvalid("UNKNOWN_PROPOSAL", f"no open event {approval.event} of that agreement")
            required = check_next_event(held.record, _chain_head(held), pending.event)
            pending.approved.add(approval.programme_id)
            if not approvers_needed(required, frozenset(pending.approved)):
                self._join(held, pending, approval.event, entry.integrated_us)
                del self._proposals[approval.event]

    def records_relevant_to(self, programme: str) -> list[AgreementRecord]:
        """The agreements a resolution starting at `programme` can use, by id: its first hop is an agreement
        the programme is a party to, any later one allows onward recognition (`verification.recognition`)."""
        return [
            held.record
            for _, held in sorted(self._agreements.items())
            if programme in held.record.agreement.parties or held.record.agreement.onward_recognition
        ]

    def records(self) -> list[AgreementRecord]:
        return [held.record for _, held in sorted(self._agreements.items())]

    def head(self, agreement_id: str) -> dict[str, Any] | None:
        """The agreement as an answer that relied on it names it: its leaf and the head of its event chain."""
        held = self._agreements.get(agreement_id)
        if held is None:
            return None
        return {
            "agreement_id": agreement_id,
            "leaf_index": held.leaf_index,
            "event_head": {
                "sequence": held.head.sequence,
                "sha256": held.head.sha256,
                "leaf_index": held.head.leaf_index,
            },
        }

    def _held(self, agreement_id: str) -> _Agreement:
        held = self._agreements.get(agreement_id)
        if held is None:
            raise HistoryInvalid("UNKNOWN_AGREEMENT", f"agreement {agreement_id} is not in the log before this leaf")
        return held

    def _join(self, held: _Agreement, proposal: _Proposal, sha256: str, joined_us: int) -> None:
        events = (*held.record.events, AgreementEventRecord.of(proposal.event, joined_us))
        held.record = replace(held.record, events=events)
        held.head = EventHead(proposal.event.sequence, sha256, proposal.leaf_index)


def _chain_head(held: _Agreement) -> ChainHead:
    return ChainHead(next_sequence=held.head.sequence + 1, previous_sha256=held.head.sha256 or held.record.id)
