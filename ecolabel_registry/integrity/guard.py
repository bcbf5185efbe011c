"""What a divergence stops: the registry signs no decision while one is recorded (`state`).

Every API process reads the shared state from the database, at most once a second (a decision is signed
many times a second; a divergence waits at most that long to be obeyed by every process).
"""

from __future__ import annotations

import threading
import time
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine

from ecolabel_registry.errors import IntegrityDiverged
from ecolabel_registry.integrity import state
from ecolabel_registry.integrity.divergence import Divergence

_TTL_NS = 1_000_000_000
_seen: WeakKeyDictionary[Engine, tuple[int, Divergence | None]] = WeakKeyDictionary()
_lock = threading.Lock()


def recorded(connection: Connection, *, fresh: bool = False) -> Divergence | None:
    """The divergence recorded in this database, if any (read again after a second, or when `fresh`)."""
    engine, now = connection.engine, time.monotonic_ns()
    cached = _seen.get(engine)
    if not fresh and cached is not None and now - cached[0] < _TTL_NS:
        return cached[1]
    found = state.diverged(connection)
    with _lock:
        _seen[engine] = (now, found)
    return found


def problem(divergence: Divergence) -> IntegrityDiverged:
    return IntegrityDiverged(
        "the registry's tables differ from a replay of its log; it signs no decision until the operator "
        "repairs them and a clean `ecolabel-registry fsck` clears the divergence",
        divergence=divergence.to_dict(),
    )


def require_intact_as_seen(engine: Engine) -> bool:
    """`require_intact` from what was read for this engine less than a second ago, without a statement:
    True when intact, False when nothing that fresh was read (then call `require_intact`, which reads it).
    Raises as `require_intact` does."""
    cached = _seen.get(engine)
    if cached is None or time.monotonic_ns() - cached[0] >= _TTL_NS:
        return False
    if cached[1] is not None:
        raise problem(cached[1])
    return True


def require_intact(connection: Connection) -> None:
    """Refuse to go on (IntegrityDiverged, 503) while a divergence is recorded."""
    found = recorded(connection)
    if found is not None:
        raise problem(found)
