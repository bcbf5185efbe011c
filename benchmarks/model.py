"""The harness vocabulary: a figure measures quantities and compares each with a machine limit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal, TypeVar

Backend = Literal["sqlite", "postgresql"]
BACKENDS: tuple[Backend, ...] = ("sqlite", "postgresql")
T = TypeVar("T", int, float)
S = TypeVar("S")


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str


@dataclass(frozen=True)
class Limit:
    """What the machine itself manages for the comparable raw operation, measured in this run."""

    quantity: Quantity
    how: str


@dataclass(frozen=True)
class Target:
    """A goal set by an issue: the value (or the ratio to the limit) at most / at least `bound`."""

    bound: float
    at_most: bool
    on_ratio: bool = False

    def met(self, value: float | None, ratio: float | None) -> bool | None:
        subject = ratio if self.on_ratio else value
        if subject is None:
            return None
        return subject <= self.bound if self.at_most else subject >= self.bound

    def describe(self, unit: str) -> str:
        sign = "≤" if self.at_most else "≥"
        if self.on_ratio:
            return f"ratio {sign} {self.bound:g}"
        return f"{sign} {self.bound:g}{unit}" if unit == "x" else f"{sign} {self.bound:g} {unit}"


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "FAIL"
    INFO = "—"  # no target: the figure is reported, not judged
    LIMIT = "limit"  # the row is itself a machine limit
    SKIPPED = "skipped"
    ERROR = "error"


@dataclass(frozen=True)
class Result:
    figure: str  # the Figure this row came from (what --only selects)
    label: str  # the row as printed
    value: Quantity | None
    limit: Limit | None = None
    target: Target | None = None
    note: str = ""
    is_limit: bool = False
    problem: Verdict | None = None  # SKIPPED or ERROR, with `note` saying why

    @property
    def ratio(self) -> float | None:
        if self.value is None or self.limit is None or self.limit.quantity.value == 0:
            return None
        return self.value.value / self.limit.quantity.value

    @property
    def verdict(self) -> Verdict:
        if self.problem is not None:
            return self.problem
        if self.is_limit:
            return Verdict.LIMIT
        if self.target is None:
            return Verdict.INFO
        met = self.target.met(self.value.value if self.value else None, self.ratio)
        if met is None:
            return Verdict.INFO
        return Verdict.PASS if met else Verdict.FAIL


class Unavailable(Exception):
    """Raised by a figure whose prerequisite (e.g. a PostgreSQL server) is not there."""


@dataclass
class Context:
    """What every figure gets: the scale, a scratch directory, and limits measured once per run."""

    quick: bool
    workdir: Path
    postgres_url: str
    progress: Callable[[str], None]
    _limits: dict[str, Limit] = field(default_factory=dict)
    _shared: dict[str, object] = field(default_factory=dict)

    def scale(self, full: T, quick: T) -> T:
        return quick if self.quick else full

    def limit(self, key: str, measure: Callable[[], Limit]) -> Limit:
        """A machine limit, measured the first time a figure asks for it and reused afterwards."""
        if key not in self._limits:
            self._limits[key] = measure()
        return self._limits[key]

    def shared(self, key: str, measure: Callable[[], S]) -> S:
        """Anything measured once per run and used by several figures (e.g. one wrk run, two limits)."""
        if key not in self._shared:
            self._shared[key] = measure()
        found: S = self._shared[key]  # type: ignore[assignment]  # stored by this same key and type
        return found


@dataclass(frozen=True)
class Figure:
    name: str  # dotted, e.g. "log.append.sqlite"; --only matches on it
    summary: str
    run: Callable[[Context], list[Result]]
