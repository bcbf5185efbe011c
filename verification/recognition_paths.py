"""The path search of `verification.recognition.resolve`: hops, the in-force edges, the shortest path.

A hop follows one scope mapping of an agreement; the edges are the hops of the agreements in force on
a date; the path is the shortest from the presented programme, category and criteria version to an
accepted category (the rules are `verification.recognition`'s). `AgreementSet` keeps the edges per
stretch of time between the agreements' change instants, and each stretch's edges keep the paths found
over them: the path is a pure function of the edges and of the question's programme, category, version,
accepted categories and depth, so a remembered path is the one the search would find again.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from verification.agreements import AgreementRecord, change_instants, recognizers_in_force
from verification.payloads.agreement import Agreement, AgreementType, ScopeMapping
from verification.versions import VersionRange

_STRENGTH = {AgreementType.FULL: 0, AgreementType.COMMON_CORE: 1, AgreementType.PROXY_ASSESSMENT: 2}
#: Paths kept per stretch's edges (a question is a programme, category, version, accepted set and
#: depth): emptied when full. docs/SECURITY.md, "Caches".
MAX_PATHS = 4_096

PathKey = tuple[str, str | None, str | None, frozenset[tuple[str, str]], int]


@dataclass(frozen=True)
class Hop:
    agreement_id: str
    agreement: Agreement
    mapping_index: int  # position in the agreement's scope

    @property
    def mapping(self) -> ScopeMapping:
        return self.agreement.scope[self.mapping_index]

    @property
    def order(self) -> tuple[int, str, int]:
        return (_STRENGTH[self.agreement.agreement_type], self.agreement_id, self.mapping_index)


@dataclass(frozen=True)
class _Position:
    programme: str
    category: str | None
    versions: VersionRange


@dataclass(frozen=True)
class Edges:
    """The recognised mappings of agreements in force, by the (programme, category) they start from."""

    by_source: Mapping[tuple[str, str], Sequence[Hop]] = field(default_factory=dict)
    by_programme: Mapping[str, Sequence[Hop]] = field(default_factory=dict)
    _paths: dict[PathKey, tuple[Hop, ...] | None] = field(default_factory=dict, compare=False, repr=False)

    def leaving(self, position: _Position) -> Sequence[Hop]:
        if position.category is None:
            return self.by_programme.get(position.programme, ())
        return self.by_source.get((position.programme, position.category), ())

    def remembered_path(
        self, programme: str, category: str | None, version: str | None, wanted: frozenset[tuple[str, str]], depth: int
    ) -> tuple[Hop, ...] | None:
        """`shortest_path` over these edges, remembered (for edges kept by an `AgreementSet`)."""
        key = (programme, category, version, wanted, depth)
        if key in self._paths:
            return self._paths[key]
        found = shortest_path(programme, category, version, wanted, edges=self, max_depth=depth)
        if len(self._paths) >= MAX_PATHS:
            self._paths.clear()
        self._paths[key] = found  # racing threads store equal values
        return found


class AgreementSet:
    """Agreements prepared once for many questions "as known now" (without `known_at_us`).

    Which mappings are in force changes only at the agreements' `change_instants`: between two of them
    every agreement's standing is the same (`verification.agreements.change_instants`). So the in-force
    edges are computed once per such stretch of time, by the same rule as for a plain list, and kept;
    the stretches are at most one more than the instants. Give `resolve` an `AgreementSet` instead of
    the list when the same agreements answer many questions (`ecolabel_registry.recognition.compiled`).
    """

    def __init__(self, agreements: Iterable[AgreementRecord]) -> None:
        known = {r.id: r for r in agreements}
        self.records = tuple(known[key] for key in sorted(known))
        self._instants = sorted({instant for r in self.records for instant in change_instants(r)})
        self._edges: dict[int, Edges] = {}

    def __iter__(self) -> Iterator[AgreementRecord]:
        return iter(self.records)

    def edges_at(self, at: datetime) -> Edges:
        stretch = bisect_right(self._instants, at)  # how many change instants are at or before `at`
        found = self._edges.get(stretch)
        if found is None:
            in_force = [(r, recognizers_in_force(r, at=at)) for r in self.records]
            found = self._edges[stretch] = edges_of(in_force)  # racing threads compute the same value
        return found


def is_target(programme: str, category: str | None, wanted: frozenset[tuple[str, str]]) -> bool:
    if category is None:
        return any(p == programme for p, _ in wanted)
    return (programme, category) in wanted


def edges_of(in_force: Sequence[tuple[AgreementRecord, frozenset[str]]]) -> Edges:
    """Hops of the mappings whose recognising party's recognition is in force (suspension is per party)."""
    by_source: dict[tuple[str, str], list[Hop]] = defaultdict(list)
    by_programme: dict[str, list[Hop]] = defaultdict(list)
    for record, recognizing in in_force:
        for index, mapping in enumerate(record.agreement.scope):
            recognizer = mapping.to.programme
            if recognizer in recognizing and record.agreement.recognizes(recognizer, mapping.from_.programme):
                hop = Hop(record.id, record.agreement, index)
                by_source[(mapping.from_.programme, mapping.from_.category)].append(hop)
                by_programme[mapping.from_.programme].append(hop)
    for hops in (*by_source.values(), *by_programme.values()):
        hops.sort(key=lambda hop: hop.order)
    return Edges(by_source, by_programme)


def shortest_path(
    programme: str,
    category: str | None,
    version: str | None,
    wanted: frozenset[tuple[str, str]],
    *,
    edges: Edges,
    max_depth: int,
) -> tuple[Hop, ...] | None:
    """Breadth-first over positions; only paths of onward-recognition agreements continue past one hop."""
    versions = VersionRange.exactly(version) if version is not None else VersionRange()
    start = _Position(programme, category, versions)
    frontier: dict[_Position, tuple[Hop, ...]] = {start: ()}
    expanded = {start}
    for depth in range(1, max_depth + 1):
        reached: dict[tuple[_Position, bool], tuple[Hop, ...]] = {}
        for position, path in frontier.items():
            for hop in edges.leaving(position):
                onward = hop.agreement.onward_recognition
                if depth > 1 and not onward:
                    continue
                if not hop.mapping.from_.criteria_versions.range.overlaps(position.versions):
                    continue
                to = hop.mapping.to
                target = _Position(to.programme, to.category, to.criteria_versions.range)
                if target in expanded:
                    continue
                candidate = (*path, hop)
                # Kept per (position, onward): a weaker-ranked onward path must survive to continue.
                key = (target, onward)
                if key not in reached or _rank(candidate) < _rank(reached[key]):
                    reached[key] = candidate
        hits = [path for (place, _), path in reached.items() if is_target(place.programme, place.category, wanted)]
        if hits:
            return min(hits, key=_rank)
        frontier = {position: path for (position, onward), path in reached.items() if onward}
        expanded |= frontier.keys()
        if not frontier:
            return None
    return None


def _rank(path: tuple[Hop, ...]) -> tuple[tuple[int, str, int], ...]:
    return tuple(hop.order for hop in path)
