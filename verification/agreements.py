"""Whether an agreement is in force on a date, from its signatures and its chain of events.

One definition, used by the registry and by anyone offline:

    answer = standing_on(record, at=datetime(2025, 1, 1, tzinfo=UTC))

An agreement is **in force** at instant D iff

1. every party has signed it (the proposer by proposing; the others with logged `AgreementSignature`s),
2. D is within [effectiveFrom, effectiveUntil), where the end is the one set by the latest renewal
   effective at or before D (a renewal may also revive an agreement that had lapsed),
3. no termination is effective at or before D (termination is final, and takes effect exactly at its
   effectiveAt), and
4. it is not suspended at D: the latest suspension or reinstatement effective at or before D is not a
   suspension.

Signatures are facts about the registry's knowledge, not about D: with `known_at_us` ("as known at K",
DESIGN "Two timelines") only signatures and events the registry had logged by K count; without it,
everything logged counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from verification.errors import HistoryInvalid
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
    """One logged change: what it says, and when the registry learned it (log time)."""

    change: AgreementChange
    effective_at: datetime
    effective_until: datetime | None = None
    integrated_us: int = 0

    @classmethod
    def of(cls, event: AgreementEvent, integrated_us: int = 0) -> AgreementEventRecord:
        return cls(event.change, event.effective_at, event.effective_until, integrated_us)


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


@dataclass(frozen=True)
class StandingAnswer:
    standing: Standing
    effective_until: datetime | None  # the end as extended by renewals effective by then
    missing_signatures: tuple[str, ...] = ()

    @property
    def in_force(self) -> bool:
        return self.standing is Standing.IN_FORCE


def standing_on(record: AgreementRecord, *, at: datetime, known_at_us: int | None = None) -> StandingAnswer:
    """The agreement's standing at `at`; reasons are reported in the order listed by `Standing`."""
    agreement = record.agreement
    if known_at_us is not None and record.logged_us > known_at_us:
        return StandingAnswer(Standing.NOT_YET_LOGGED, agreement.effective_until)
    events = [e for e in record.events if known_at_us is None or e.integrated_us <= known_at_us]
    until, suspended, terminated = _apply(agreement.effective_until, events, at)
    missing = tuple(party for party in agreement.parties if party not in record.signed_by(known_at_us))
    failures = (
        (bool(missing), Standing.AWAITING_SIGNATURES),
        (at < agreement.effective_from, Standing.NOT_YET_EFFECTIVE),
        (terminated, Standing.TERMINATED),
        (until is not None and at >= until, Standing.EXPIRED),
        (suspended, Standing.SUSPENDED),
    )
    standing = next((standing for failed, standing in failures if failed), Standing.IN_FORCE)
    return StandingAnswer(standing, until, missing)


def _apply(
    until: datetime | None, events: list[AgreementEventRecord], at: datetime
) -> tuple[datetime | None, bool, bool]:
    """(end, suspended, terminated) after the events effective at or before `at`."""
    suspended = terminated = False
    for event in events:  # effective times never decrease along the chain, so this is a prefix
        if event.effective_at > at:
            break
        if event.change is AgreementChange.RENEWED:
            until = event.effective_until
        elif event.change is AgreementChange.SUSPENDED:
            suspended = True
        elif event.change is AgreementChange.REINSTATED:
            suspended = False
        else:
            terminated = True
    return until, suspended, terminated


def check_next_event(record: AgreementRecord, head: ChainHead, event: AgreementEvent) -> None:
    """Raise `HistoryInvalid` unless `event` is the valid next link of the agreement's event chain."""
    check_link(head, event.sequence, event.previous)
    if record.events and event.effective_at < record.events[-1].effective_at:
        floor = record.events[-1].effective_at.isoformat()
        raise HistoryInvalid(
            "EFFECTIVE_TIME_REGRESSION", f"effectiveAt {event.effective_at.isoformat()} is before {floor}"
        )
    until, suspended, terminated = _apply(record.agreement.effective_until, list(record.events), event.effective_at)
    refusal = _refusal(event, until, suspended=suspended, terminated=terminated)
    if refusal is not None:
        raise HistoryInvalid("ILLEGAL_TRANSITION", refusal)


def _refusal(event: AgreementEvent, until: datetime | None, *, suspended: bool, terminated: bool) -> str | None:
    if terminated:
        return "the agreement is terminated; termination is final"
    if event.change is AgreementChange.SUSPENDED and suspended:
        return "the agreement is already suspended"
    if event.change is AgreementChange.REINSTATED and not suspended:
        return "only a suspended agreement can be reinstated"
    if event.change is AgreementChange.RENEWED:
        if until is None:
            return "the agreement has no end date to renew"
        if event.effective_until is None or event.effective_until <= until:
            return f"a renewal must move the end past {until.isoformat()}"
    return None
