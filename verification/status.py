"""A certificate's status on a date, from its validity period and its chain of status changes.

One definition, used by the registry at submission and lookup, and by buyers offline:

    answer = status_as_of(Lifecycle.of(credential, events), at=datetime(2026, 3, 1, tzinfo=UTC))

Two timelines (DESIGN "Two timelines"): `at` asks when a fact was true (effectiveAt); `known_at_us`
also ignores changes the registry logged after that log time ("as known at K").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from verification.errors import HistoryInvalid
from verification.payloads.events import CertificateStatusEvent, StatusChange


class CertificateStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"


# Which states each change may follow. Withdrawal is final; an expired licence can be renewed.
_ALLOWED_FROM: dict[StatusChange, frozenset[CertificateStatus]] = {
    StatusChange.SUSPENDED: frozenset({CertificateStatus.ACTIVE}),
    StatusChange.REINSTATED: frozenset({CertificateStatus.SUSPENDED}),
    StatusChange.WITHDRAWN: frozenset({CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED}),
    StatusChange.RENEWED: frozenset({CertificateStatus.ACTIVE, CertificateStatus.EXPIRED}),
    StatusChange.EXPIRED: frozenset({CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED}),
}
_RESULT: dict[StatusChange, CertificateStatus] = {
    StatusChange.SUSPENDED: CertificateStatus.SUSPENDED,
    StatusChange.REINSTATED: CertificateStatus.ACTIVE,
    StatusChange.WITHDRAWN: CertificateStatus.WITHDRAWN,
    StatusChange.RENEWED: CertificateStatus.ACTIVE,
    StatusChange.EXPIRED: CertificateStatus.EXPIRED,
}


@dataclass(frozen=True)
class Change:
    """One logged status change: what it says, and when the registry learned it (log time)."""

    status: StatusChange
    effective_at: datetime
    reason: str
    valid_until: datetime | None = None
    integrated_us: int = 0

    @classmethod
    def of(cls, event: CertificateStatusEvent, integrated_us: int = 0) -> Change:
        return cls(event.status, event.effective_at, event.reason, event.valid_until, integrated_us)


@dataclass(frozen=True)
class Lifecycle:
    valid_from: datetime
    valid_until: datetime
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class StatusAnswer:
    status: CertificateStatus
    valid_until: datetime
    changes_applied: int
    reason: str | None


@dataclass(frozen=True)
class ChainHead:
    """Where the next event must attach: its sequence number and the hash it must name as previous."""

    next_sequence: int
    previous_sha256: str


def check_link(head: ChainHead, sequence: int, previous: str) -> None:
    """Raise `HistoryInvalid` unless (sequence, previous) attaches at `head`: the part of every event
    chain's check (certificate status, agreement) that is about the chain itself."""
    if sequence < head.next_sequence:
        raise HistoryInvalid("EVENT_REPLAYED", f"sequence {sequence} was already used; next is {head.next_sequence}")
    if sequence > head.next_sequence:
        raise HistoryInvalid("SEQUENCE_GAP", f"sequence {sequence} skips ahead; next is {head.next_sequence}")
    if previous != head.previous_sha256:
        raise HistoryInvalid("HISTORY_FORKED", f"previous must be {head.previous_sha256}, the latest event's hash")


def check_next_event(lifecycle: Lifecycle, head: ChainHead, event: CertificateStatusEvent) -> None:
    """Raise `HistoryInvalid` unless `event` is the valid next link of the chain."""
    check_link(head, event.sequence, event.previous)
    floor = lifecycle.changes[-1].effective_at if lifecycle.changes else lifecycle.valid_from
    if event.effective_at < floor:
        raise HistoryInvalid(
            "EFFECTIVE_TIME_REGRESSION", f"effectiveAt {event.effective_at.isoformat()} is before {floor.isoformat()}"
        )
    state = status_as_of(lifecycle, at=event.effective_at).status
    if state not in _ALLOWED_FROM[event.status]:
        raise HistoryInvalid("ILLEGAL_TRANSITION", f"a certificate that is {state} cannot become {event.status}")


def status_of_unchanged(valid_from_us: int, valid_until_us: int, at_us: int) -> CertificateStatus:
    """`status_as_of(...).status` for a lifecycle without changes, on log-time microseconds.

    Most certificates never change status; a catalogue check judges thousands of them and needs no
    datetime for any (tests/verification/test_status.py holds the two to the same answers).
    """
    if at_us < valid_from_us:
        return CertificateStatus.NOT_YET_VALID
    return CertificateStatus.EXPIRED if at_us >= valid_until_us else CertificateStatus.ACTIVE


def status_as_of(lifecycle: Lifecycle, *, at: datetime, known_at_us: int | None = None) -> StatusAnswer:
    """The status on `at`, counting only changes logged by `known_at_us` when that is given."""
    if at < lifecycle.valid_from:
        return StatusAnswer(CertificateStatus.NOT_YET_VALID, lifecycle.valid_until, 0, None)
    changes: Sequence[Change] = lifecycle.changes
    if known_at_us is not None:
        changes = [change for change in changes if change.integrated_us <= known_at_us]
    state, valid_until, applied, reason = CertificateStatus.ACTIVE, lifecycle.valid_until, 0, None
    for change in changes:  # effective times never decrease along the chain, so this is a prefix
        if change.effective_at > at:
            break
        if change.valid_until is not None:
            valid_until = change.valid_until
        state, applied, reason = _RESULT[change.status], applied + 1, change.reason
    if state in (CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED) and at >= valid_until:
        state = CertificateStatus.EXPIRED
    return StatusAnswer(state, valid_until, applied, reason)
