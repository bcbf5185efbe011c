"""Pausing Python's cyclic garbage collector while one request builds a large acyclic answer.

A 10,000-line catalogue check allocates some hundred thousand dicts, lists and tuples that all live
until the answer is encoded. Each of them counts towards the collector's thresholds, so the check
triggers collections again and again, and each older-generation collection walks what is not frozen:
measured, with the thresholds `serve` sets, parsing and validating the body still cost three times as
much with the collector on, and with the default thresholds half of the judging was collection
(BENCHMARKS.md). What the
check allocates holds no reference cycles, so nothing is left for the collector to find; reference
counting frees it all when the answer is sent.

The pause is process-wide (the collector has one switch), counted so that overlapping checks on
several threads end it only when the last one leaves, and it never re-enables a collector that was
off when the first one came in. Cycles made by other requests meanwhile are collected after it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    """How many blocks are inside `paused`, and whether the collector was on before the first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.was_enabled = False


_PAUSES = _Pauses()


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection while the block runs (reference counting frees memory as usual)."""
    with _PAUSES.lock:
        if _PAUSES.holders == 0:
            _PAUSES.was_enabled = gc.isenabled()
            gc.disable()
        _PAUSES.holders += 1
    try:
        yield
    finally:
        with _PAUSES.lock:
            _PAUSES.holders -= 1
            if _PAUSES.holders == 0 and _PAUSES.was_enabled:
                gc.enable()
