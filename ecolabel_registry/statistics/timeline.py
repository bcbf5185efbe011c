"""A certificate's status day by day, as changes the statistics add up: the one status rule, sampled.

A figure "as of D" counts certificates by their status at 00:00 UTC on D (`api.moments`: a date means
that instant). A status only changes at the instants the lifecycle names (validity start and end, each
event's effective time and renewed end), so sampling `verification.status.status_as_of` on the first day
at or after each such instant gives every change at day resolution, without a second copy of the rule:

    changes = transitions(lifecycle)     # [(day, status or None), ...] in day order
    counts = as_changes(keys, [], changes)  # +1/-1 per (dimension, value, status, day)

A certificate that is not yet valid is not counted (status None).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from verification.leaf import to_microseconds
from verification.status import CertificateStatus, Lifecycle, status_as_of

DAY_US = 86_400_000_000
_EPOCH = date(1970, 1, 1)

# The ways a certificate is counted. A value is a compact JSON array of the key's parts.
DIMENSIONS = ("total", "programme", "category", "criteria_version", "country", "programme_country")
COUNTED = (
    CertificateStatus.ACTIVE,
    CertificateStatus.SUSPENDED,
    CertificateStatus.EXPIRED,
    CertificateStatus.WITHDRAWN,
)

Key = tuple[str, str, str]  # dimension, value, status
Transition = tuple[int, CertificateStatus | None]


def value_of(parts: Sequence[str]) -> str:
    return json.dumps(list(parts), separators=(",", ":"), ensure_ascii=False)


def parts_of(value: str) -> list[str]:
    parts: list[str] = json.loads(value)
    return parts


@lru_cache(maxsize=65_536)  # a pure function of few distinct arguments, called per certificate
def keys_of(programme: str, category: str, version: str, country: str) -> tuple[tuple[str, str], ...]:
    """(dimension, value) under which one certificate is counted."""
    return (
        ("total", value_of([])),
        ("programme", value_of([programme])),
        ("category", value_of([programme, category])),
        ("criteria_version", value_of([programme, category, version])),
        ("country", value_of([country])),
        ("programme_country", value_of([programme, country])),
    )


def day_of(d: date) -> int:
    return (d - _EPOCH).days


def date_of(day: int) -> date:
    return _EPOCH + timedelta(days=day)


def first_day_on_or_after(microseconds: int) -> int:
    return -(-microseconds // DAY_US)


def month_of_day(day: int) -> int:
    d = date_of(day)
    return (d.year - 1970) * 12 + d.month - 1


def first_day_of_month(month: int) -> int:
    return day_of(date(1970 + month // 12, month % 12 + 1, 1))


def month_label(month: int) -> str:
    return f"{1970 + month // 12:04d}-{month % 12 + 1:02d}"


def month_of_label(label: str) -> int:
    year, month = label.split("-")
    return (int(year) - 1970) * 12 + int(month) - 1


def transitions(lifecycle: Lifecycle) -> list[Transition]:
    """The days on which the counted status changes, with the status from that day on."""
    instants = {lifecycle.valid_from, lifecycle.valid_until}
    for change in lifecycle.changes:
        instants.add(change.effective_at)
        if change.valid_until is not None:
            instants.add(change.valid_until)
    days = sorted({first_day_on_or_after(to_microseconds(moment)) for moment in instants})
    found: list[Transition] = []
    current: CertificateStatus | None = None
    for day in days:
        status: CertificateStatus | None = status_as_of(lifecycle, at=_start_of(day)).status
        if status is CertificateStatus.NOT_YET_VALID:
            status = None
        if status != current:
            found.append((day, status))
            current = status
    return found


def as_changes(
    keys: Iterable[tuple[str, str]], before: Sequence[Transition], after: Sequence[Transition]
) -> Counter[tuple[str, str, str, int]]:
    """+1/-1 per (dimension, value, status, day) that turn the counts of `before` into those of `after`."""
    changes: Counter[tuple[str, str, str, int]] = Counter()
    add_changes(changes, tuple(keys), before, after)
    return changes


def add_changes(
    changes: Counter[tuple[str, str, str, int]],
    keys: Sequence[tuple[str, str]],
    before: Sequence[Transition],
    after: Sequence[Transition],
) -> None:
    """`as_changes`, added into `changes` (a refresh adds up millions of them)."""
    for sign, timeline in ((-1, before), (1, after)):
        previous: str | None = None
        for day, status in timeline:
            current = status.value if status is not None else None
            for dimension, value in keys:
                if previous is not None:
                    changes[(dimension, value, previous, day)] -= sign
                if current is not None:
                    changes[(dimension, value, current, day)] += sign
            previous = current


def _start_of(day: int) -> datetime:
    return datetime.combine(date_of(day), datetime.min.time(), tzinfo=UTC)
