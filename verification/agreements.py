"""Whether an agreement is in force on a date, and who may change it: one definition for all.

    answer = standing_on(record, at=datetime(2025, 1, 1, tzinfo=UTC), recognizer="jea")

An agreement is **in force** at instant D for a recognising party R iff

1. every party has signed it (the proposer by proposing; the others with logged `AgreementSignature`s),
2. D is within [effectiveFrom, effectiveUntil), where the end is the one set by the latest renewal
   effective at or before D (a renewal may also revive an agreement that had lapsed),
3. R has not terminated its recognition at or before D (termination is final), and
4. R's recognition is not suspended at D.

Without `recognizer`, the answer is the agreement's as a whole: terminated when every recognising
party has terminated, suspended when every one still recognising has suspended, else in force.

**Who may change it** (docs/SECURITY.md, "Authority"). Nothing changes before every party has signed.
Narrowing is each recognising party's own business: it may suspend or terminate *its own* recognition
alone. Widening needs the parties it affects: a renewal needs every recognising party that has not
terminated; lifting suspensions needs every party that imposed one (so only the party that suspended,
or all of them together, lift a suspension). A widening event is proposed, then approved with
`AgreementEventApproval`s, and joins the chain when the approvals are complete (`approvers_needed`).
There is no event that adds scope: a wider scope is a new agreement, which every party signs.

Signatures are facts about the registry's knowledge, not about D: with `known_at_us` ("as known at K",
DESIGN "Two timelines") only signatures and events the registry had logged by K count; without it,
everything logged counts. An event counts from the log time at which it joined the chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from verification.errors import HistoryInvalid, NotPermitted
from verification.payloads.agreement import Agreement
from verification.payloads.agreement_events import AgreementChange, AgreementEvent
from verification.status import ChainHead, check_link


class Standing(StrEnum):
    IN_FORCE = "in_force"
    AWAITING_SIGNATURES = "awaiting_signatures"
    NOT_YET_EFFECTIVE = "not_yet_effective"
    TERMINATED = "terminated"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    NOT_YET_LOGGED = "not_yet_logged"  # "as known at" a time before the registry logged the agreement


@dataclass(frozen=True)
class AgreementEventRecord:
    """One change in the chain: what it says, who signed it, and when it joined the chain (log time)."""

    change: AgreementChange
    effective_at: datetime
    effective_until: datetime | None = None
    integrated_us: int = 0
    issuer: str = ""

    @classmethod
    def of(cls, event: AgreementEvent, integrated_us: int = 0) -> AgreementEventRecord:
        return cls(event.change, event.effective_at, event.effective_until, integrated_us, event.programme_id)


@dataclass(frozen=True)
class AgreementRecord:
    """An agreement as the registry holds it: the signed payload, who signed when, and its events."""

    id: str  # hex SHA-256 of the agreement's JWS bytes
    agreement: Agreement
    logged_us: int = 0
    signatures: Mapping[str, int] = field(default_factory=dict)  # party -> log time of its signature
    events: tuple[AgreementEventRecord, ...] = ()

    def signed_by(self, known_at_us: int | None = None) -> frozenset[str]:
        """The parties that had signed (by `known_at_us`, when given); the proposer signed by proposing."""
        signed = {party for party, at in self.signatures.items() if known_at_us is None or at <= known_at_us}
        if known_at_us is None or self.logged_us <= known_at_us:
            signed.add(self.agreement.programme_id)
        return frozenset(signed & set(self.agreement.parties))

    @property
    def recognizers(self) -> frozenset[str]:
        """The parties that recognise another party under this agreement."""
        return recognizers_of(self.agreement)


def recognizers_of(agreement: Agreement) -> frozenset[str]:
    if agreement.mutual:
        return frozenset(agreement.parties)
    return frozenset(r.recognizer for r in agreement.recognitions)


@dataclass(frozen=True)
class _State:
    """The agreement after the events effective at or before some instant."""

    until: datetime | None
    suspended_by: frozenset[str] = frozenset()
    terminated_by: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StandingAnswer:
    standing: Standing
    effective_until: datetime | None  # the end as extended by renewals effective by then
    missing_signatures: tuple[str, ...] = ()
    suspended_by: tuple[str, ...] = ()  # the recognising parties whose recognition is suspended then
    terminated_by: tuple[str, ...] = ()  # … and those that have terminated theirs

    @property
    def in_force(self) -> bool:
        return self.standing is Standing.IN_FORCE


def standing_on(
    record: AgreementRecord, *, at: datetime, known_at_us: int | None = None, recognizer: str | None = None
) -> StandingAnswer:
    """The standing at `at`, for `recognizer`'s recognition or (None) the agreement's as a whole."""
    agreement = record.agreement
    if known_at_us is not None and record.logged_us > known_at_us:
        return StandingAnswer(Standing.NOT_YET_LOGGED, agreement.effective_until)
    events = [e for e in record.events if known_at_us is None or e.integrated_us <= known_at_us]
    state = _apply(agreement.effective_until, events, at)
    missing = tuple(party for party in agreement.parties if party not in record.signed_by(known_at_us))
    if recognizer is not None and recognizer not in record.recognizers:
        raise ValueError(f"{recognizer} recognises nobody under agreement {record.id}")
    recognizing = record.recognizers if recognizer is None else frozenset({recognizer})
    still = recognizing - state.terminated_by
    failures = (
        (bool(missing), Standing.AWAITING_SIGNATURES),
        (at < agreement.effective_from, Standing.NOT_YET_EFFECTIVE),
        (not still, Standing.TERMINATED),
        (state.until is not None and at >= state.until, Standing.EXPIRED),
        (still <= state.suspended_by, Standing.SUSPENDED),
    )
    standing = next((standing for failed, standing in failures if failed), Standing.IN_FORCE)
    return StandingAnswer(
        standing, state.until, missing, tuple(sorted(state.suspended_by)), tuple(sorted(state.terminated_by))
    )


def change_instants(record: AgreementRecord) -> frozenset[datetime]:
    """Every instant at which `standing_on(record, at=...)` (without `known_at_us`) may change.

    `standing_on` compares `at` only with these, and always as `at >= instant` (or its negation): the
    start and end of the agreement, and each event's `effectiveAt` and a renewal's new end. So two
    instants with the same of these at or before them have the same standing, for every recognizer.
    Keep this list beside `standing_on` and `_apply`: a new comparison with `at` adds its instant here.
    """
    agreement = record.agreement
    found = {agreement.effective_from, *(event.effective_at for event in record.events)}
    found |= {end for end in (agreement.effective_until, *(e.effective_until for e in record.events)) if end}
    return frozenset(found)


def recognizers_in_force(record: AgreementRecord, *, at: datetime, known_at_us: int | None = None) -> frozenset[str]:
    """The recognising parties whose recognition under this agreement is in force at `at`."""
    answer = standing_on(record, at=at, known_at_us=known_at_us)
    if not answer.in_force:
        return frozenset()
    return record.recognizers - set(answer.suspended_by) - set(answer.terminated_by)


def _apply(until: datetime | None, events: list[AgreementEventRecord], at: datetime) -> _State:
    """The state after the events effective at or before `at`."""
    suspended: set[str] = set()
    terminated: set[str] = set()
    for event in events:  # effective times never decrease along the chain, so this is a prefix
        if event.effective_at > at:
            break
        if event.change is AgreementChange.RENEWED:
            until = event.effective_until
        elif event.change is AgreementChange.SUSPENDED:
            suspended.add(event.issuer)
        elif event.change is AgreementChange.REINSTATED:
            suspended.clear()  # it joined the chain only with the approval of every suspending party
        else:
            terminated.add(event.issuer)
            suspended.discard(event.issuer)
    return _State(until, frozenset(suspended), frozenset(terminated))


def check_next_event(record: AgreementRecord, head: ChainHead, event: AgreementEvent) -> frozenset[str]:
    """The parties that must sign `event` (its issuer included) for it to join the chain; raise if it never may.

    An event needing only its issuer joins at once; one needing more waits for their approvals.
    """
    missing = [party for party in record.agreement.parties if party not in record.signed_by()]
    if missing:
        raise HistoryInvalid(
            "AGREEMENT_NOT_SIGNED",
            f"the agreement is not yet signed by {', '.join(missing)}; nothing changes it before",
        )
    check_link(head, event.sequence, event.previous)
    if record.events and event.effective_at < record.events[-1].effective_at:
        floor = record.events[-1].effective_at.isoformat()
        raise HistoryInvalid(
            "EFFECTIVE_TIME_REGRESSION", f"effectiveAt {event.effective_at.isoformat()} is before {floor}"
        )
    state = _apply(record.agreement.effective_until, list(record.events), event.effective_at)
    return _approvers(record, state, event)


def _approvers(record: AgreementRecord, state: _State, event: AgreementEvent) -> frozenset[str]:
    issuer, recognizing = event.programme_id, record.recognizers - state.terminated_by
    if not recognizing:
        raise HistoryInvalid("ILLEGAL_TRANSITION", "the agreement is terminated; termination is final")
    change = event.change
    if change in (AgreementChange.SUSPENDED, AgreementChange.TERMINATED):
        if issuer not in record.recognizers:
            raise NotPermitted(
                "NOT_A_RECOGNISING_PARTY",
                f"{issuer} recognises nobody under this agreement: it has no recognition of its own to narrow",
            )
        if issuer in state.terminated_by:
            raise HistoryInvalid("ILLEGAL_TRANSITION", f"{issuer} has terminated its recognition; termination is final")
        if change is AgreementChange.SUSPENDED and issuer in state.suspended_by:
            raise HistoryInvalid("ILLEGAL_TRANSITION", f"{issuer} has already suspended its recognition")
        return frozenset({issuer})
    if change is AgreementChange.REINSTATED:
        if not state.suspended_by:
            raise HistoryInvalid("ILLEGAL_TRANSITION", "only a suspended agreement can be reinstated")
        return state.suspended_by | {issuer}
    if state.until is None:
        raise HistoryInvalid("ILLEGAL_TRANSITION", "the agreement has no end date to renew")
    if event.effective_until is None or event.effective_until <= state.until:
        raise HistoryInvalid("ILLEGAL_TRANSITION", f"a renewal must move the end past {state.until.isoformat()}")
    return recognizing | {issuer}


def approvers_needed(required: frozenset[str], approved: frozenset[str]) -> tuple[str, ...]:
    """The parties still to approve, in a stable order."""
    return tuple(sorted(required - approved))
