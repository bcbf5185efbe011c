"""What a demo load did, step by step, and the one error it stops with."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class DemoLoadError(RuntimeError):
    """The registry refused a demo document, or the demo keys no longer match the database.

    Every demo document is valid by construction, so a refusal means the data file, the keys or the
    database is not what the loader expects; the message says which document and why.
    """


@dataclass
class StepReport:
    """Counts of one step: what was added and what was already there."""

    name: str
    added: Counter[str] = field(default_factory=Counter)
    present: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def added_anything(self) -> bool:
        return any(self.added.values())

    def line(self) -> str:
        def counts(counter: Counter[str]) -> str:
            return ", ".join(f"{n:,} {_noun(what, n)}" for what, n in counter.items() if n) or "nothing"

        return (
            f"{self.name:<13} added {counts(self.added)}; already there {counts(self.present)} ({self.seconds:.2f} s)"
        )


def _noun(plural: str, count: int) -> str:
    """The counters are named in the plural ("agreement events", "facilities"); one is singular."""
    if count != 1:
        return plural
    return plural.removesuffix("ies") + "y" if plural.endswith("ies") else plural.removesuffix("s")


@dataclass
class LoadReport:
    steps: list[StepReport] = field(default_factory=list)
    leaves_before: int = 0
    leaves_after: int = 0
    seconds: float = 0.0

    @property
    def leaves_added(self) -> int:
        return self.leaves_after - self.leaves_before

    def lines(self) -> list[str]:
        out = [step.line() for step in self.steps]
        for step in self.steps:
            out += [f"  note: {note}" for note in step.notes]
        growth = f"{self.leaves_before:,} -> {self.leaves_after:,} leaves (+{self.leaves_added:,})"
        out.append(f"log: {growth} in {self.seconds:.1f} s")
        return out
