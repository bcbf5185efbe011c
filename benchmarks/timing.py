"""Clocks and statistics: everything is timed with time.perf_counter_ns."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

NS_PER_S = 1_000_000_000
NS_PER_MS = 1_000_000


def per_second(count: int, elapsed_ns: int) -> float:
    return count * NS_PER_S / max(elapsed_ns, 1)


def timed(operation: Callable[[], object]) -> int:
    """Nanoseconds one call takes."""
    start = time.perf_counter_ns()
    operation()
    return time.perf_counter_ns() - start


def sustained_rate(operation: Callable[[], object], min_seconds: float, batch: int = 256) -> float:
    """Calls per second of `operation` in a tight loop, run in batches until `min_seconds` have passed."""
    count = 0
    start = time.perf_counter_ns()
    while True:
        for _ in range(batch):
            operation()
        count += batch
        elapsed = time.perf_counter_ns() - start
        if elapsed >= min_seconds * NS_PER_S:
            return per_second(count, elapsed)


def latencies(operation: Callable[[int], object], arguments: Sequence[int], warmup: int = 20) -> list[int]:
    """Nanoseconds per call, one sample per argument, after `warmup` untimed calls."""
    for argument in arguments[:warmup]:
        operation(argument)
    samples = []
    for argument in arguments:
        start = time.perf_counter_ns()
        operation(argument)
        samples.append(time.perf_counter_ns() - start)
    return samples


def percentile(samples: Sequence[int], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of nanosecond samples, in milliseconds."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1] / NS_PER_MS
