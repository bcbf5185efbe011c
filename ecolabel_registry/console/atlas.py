"""The recognition atlas's figures: the tables behind its three charts, read from the statistics.

Every chart on the page is drawn from one of these tables, and the same table is printed under it and
offered as CSV: the chart is never the only way to read the figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from ecolabel_registry.db.engine import read_snapshot
from ecolabel_registry.statistics import repository, service
from ecolabel_registry.statistics.refresh import refresh
from ecolabel_registry.statistics.schemas import CertificateGroup, CheckpointRef
from ecolabel_registry.statistics.timeline import day_of, month_of_day
from verification.recognition import Decision

MONTHS = 36


@dataclass(frozen=True)
class Series:
    """Active certificates per programme at the end of each month."""

    months: list[str]
    programmes: list[str]
    counts: dict[str, list[int]]  # programme -> one count per month

    def rows(self) -> list[list[str | int]]:
        return [[month, *(self.counts[p][i] for p in self.programmes)] for i, month in enumerate(self.months)]


@dataclass(frozen=True)
class Matrix:
    """How many categories of each programme (rows) count as categories of each other (columns)."""

    programmes: list[str]
    accepted: dict[str, dict[str, int]]

    def rows(self) -> list[list[str | int]]:
        return [[a, *(self.accepted[a].get(b, 0) for b in self.programmes)] for a in self.programmes]


@dataclass(frozen=True)
class Edge:
    recognizer: str
    recognized: str
    categories: int
    forms: list[str]


@dataclass(frozen=True)
class Atlas:
    checkpoint: CheckpointRef
    as_of: date
    series: Series
    matrix: Matrix
    network: list[Edge]


def build(engine: Engine, as_of: date) -> Atlas:
    refresh(engine)
    with read_snapshot(engine) as connection:
        state = repository.read_state(connection)
        last = month_of_day(day_of(as_of))
        months, lines = service.series(connection, state, CertificateGroup.PROGRAMME, (last - MONTHS + 1, last))
        programmes, cells = service.matrix(connection, state, service.midnight(as_of))
    counts: dict[str, list[int]] = {}
    for line in lines:
        if line.status == "active" and line.programme is not None:
            counts[line.programme] = [point.count for point in line.points]
    accepted: dict[str, dict[str, int]] = {p: {} for p in programmes}
    forms: dict[tuple[str, str], set[str]] = defaultdict(set)
    for cell in cells:
        if cell.decision == Decision.ACCEPTED_THROUGH_AGREEMENT.value:
            row = accepted.setdefault(cell.from_programme, {})
            row[cell.to_programme] = row.get(cell.to_programme, 0) + 1
            forms[(cell.to_programme, cell.from_programme)].update(cell.agreement_types)
    network = [
        Edge(recognizer, recognized, accepted[recognized][recognizer], sorted(found))
        for (recognizer, recognized), found in sorted(forms.items())
    ]
    series = Series(months, sorted(counts), counts)
    return Atlas(service.checkpoint_of(state), as_of, series, Matrix(sorted(accepted), accepted), network)
