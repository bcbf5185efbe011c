"""The two timelines of supply-chain facts, as integer microseconds since the Unix epoch (UTC).

*Valid time* is when a link held: `valid_from` inclusive, `valid_to` exclusive, so that consecutive
periods [2024-01-01, 2025-01-01) and [2025-01-01, …) never overlap and never leave a gap. "As of D"
queries use valid time. *Record time* is when the registry logged a fact (its log time); events also
keep when they happened (`occurred_at`), as EPCIS 2.0 separates `eventTime` from `recordTime`.
"""

from __future__ import annotations

from datetime import datetime

from verification.leaf import to_microseconds

DAY_US = 86_400 * 1_000_000


def instant_us(moment: datetime | None, default: int) -> int:
    return default if moment is None else to_microseconds(moment)
