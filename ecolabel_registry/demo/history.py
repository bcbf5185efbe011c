"""Status histories of generated licences: suspensions, reinstatements, withdrawals, renewals, lapses.

Each history is drawn from its own seeded `random.Random`, so it never changes between runs, and it obeys
the transition rules of `verification.status` (a suspension only while active, effective times never
decreasing, nothing after a withdrawal), so the registry accepts every event. No event is effective
after the world's reference date. A licence on a criteria version whose transition period ends before
the licence would have expired lapses then: the mass expiry buyers need warning of (REFERENCE, ISO 14024).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from ecolabel_registry.demo.spec import Fractions, Reasons
from verification.payloads import StatusChange

_MIN_SPAN_DAYS = 120  # shorter histories would squeeze a suspension and its aftermath into days


@dataclass(frozen=True)
class PlannedEvent:
    status: StatusChange
    effective_at: datetime
    reason: str
    valid_until: datetime | None = None


def add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February in a year that has none
        return moment.replace(year=moment.year + years, day=28)


@dataclass(frozen=True)
class Window:
    valid_from: datetime
    valid_until: datetime
    reference: datetime
    lapse: datetime | None  # the criteria version's transition end, when the licence would outlive it
    validity_years: int


def plan(
    rng: random.Random, window: Window, fractions: Fractions, reasons: Reasons, version: str
) -> list[PlannedEvent]:
    lapses = window.lapse is not None and window.lapse <= window.reference
    end = min(window.valid_until, window.reference, *([window.lapse] if lapses and window.lapse else []))
    span = (end - window.valid_from).days
    events: list[PlannedEvent] = []
    if span >= _MIN_SPAN_DAYS:
        draw = rng.random()
        if draw < fractions.suspended:
            events = _suspension(rng, window.valid_from, end, fractions=fractions, reasons=reasons)
        elif draw < fractions.suspended + fractions.withdrawn:
            at = window.valid_from + timedelta(days=rng.randint(30, span - 1))
            events = [PlannedEvent(StatusChange.WITHDRAWN, at, rng.choice(reasons.withdrawn))]
        elif draw < fractions.suspended + fractions.withdrawn + fractions.renewed and window.lapse is None:
            events = _renewal(rng, window, reasons)
    if lapses and window.lapse is not None and not any(e.status is StatusChange.WITHDRAWN for e in events):
        events.append(PlannedEvent(StatusChange.EXPIRED, window.lapse, reasons.expired.format(version=version)))
    return events


def _suspension(
    rng: random.Random, start: datetime, end: datetime, *, fractions: Fractions, reasons: Reasons
) -> list[PlannedEvent]:
    span = (end - start).days
    suspended_at = start + timedelta(days=rng.randint(30, span - 60))
    events = [PlannedEvent(StatusChange.SUSPENDED, suspended_at, rng.choice(reasons.suspended))]
    room = (end - suspended_at).days
    later = suspended_at + timedelta(days=rng.randint(10, min(90, room - 1)))
    outcome = rng.random()
    if outcome < fractions.reinstated_after_suspension:
        events.append(PlannedEvent(StatusChange.REINSTATED, later, rng.choice(reasons.reinstated)))
    elif outcome < fractions.reinstated_after_suspension + fractions.withdrawn_after_suspension:
        events.append(PlannedEvent(StatusChange.WITHDRAWN, later, rng.choice(reasons.withdrawn_after_suspension)))
    return events


def _renewal(rng: random.Random, window: Window, reasons: Reasons) -> list[PlannedEvent]:
    at = window.valid_until - timedelta(days=rng.randint(10, 60))
    if at > window.reference or at <= window.valid_from:
        return []  # not yet due on the reference date
    new_end = add_years(window.valid_until, window.validity_years)
    return [PlannedEvent(StatusChange.RENEWED, at, rng.choice(reasons.renewed), new_end)]
