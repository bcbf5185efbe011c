"""The registry's one clock: now, as integer microseconds since the Unix epoch (UTC) and as an aware datetime.

Log times, record times and "as of now" answers are all read here, so that they agree to the microsecond
and a test or a replay has one place to look for where "now" comes from.
"""

from __future__ import annotations

import time
from datetime import datetime

from verification.leaf import from_microseconds


def now_us() -> int:
    """Microseconds since the Unix epoch, the unit of every time the registry stores."""
    return time.time_ns() // 1000


def now() -> datetime:
    """The same instant as an aware UTC datetime, truncated to the microsecond the registry stores."""
    return from_microseconds(now_us())
