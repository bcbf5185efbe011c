"""Dates in query parameters: an instant with a time zone, or a bare date meaning 00:00 UTC that day.

Buyers ask about days ("was it acceptable on 2025-06-01?"); everything inside the registry is an aware
UTC instant. A time without a zone is refused rather than guessed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Final

from ecolabel_registry.errors import ValidationFailed

MOMENT_DESCRIPTION: Final = "an RFC 3339 instant with a time zone, or a date (meaning 00:00 UTC that day)"


def parse_moment(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed(f"{name} must be {MOMENT_DESCRIPTION}", code="BAD_DATE") from exc
    if moment.tzinfo is None:
        raise ValidationFailed(f"{name} needs a time zone, e.g. 2026-01-31T00:00:00Z", code="NAIVE_DATETIME")
    return moment.astimezone(UTC)
