"""The figures, read at one checkpoint: certificate counts from the precomputed tables, agreement
standings, the recognition matrix and cross-border reach from the one recognition rule.

    with read_snapshot(engine) as connection:
        state = repository.read_state(connection)
        figures = certificate_figures(connection, state, CertificateGroup.PROGRAMME, day_of(date(2026, 1, 1)))

Agreement answers count only what the log held at the checkpoint (`known_at_us` = its log time), so a
figure and the checkpoint it names always agree. The matrix and the reach are kept per (checkpoint,
date) in this process: figures at a checkpoint never change, so nothing invalidates them, and a new
checkpoint is a new key.
"""

from __future__ import annotations

import base64
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TypeVar

from sqlalchemy import Connection, select

from ecolabel_registry.agreements import lookup as agreement_lookup
from ecolabel_registry.agreements.repository import agreements as agreements_table
from ecolabel_registry.categories.repository import categories_table, codes_table
from ecolabel_registry.statistics import repository
from ecolabel_registry.statistics.repository import State
from ecolabel_registry.statistics.schemas import (
    AgreementFigure,
    CertificateFigure,
    CertificateGroup,
    CheckpointRef,
    Crosswalk,
    MatrixCell,
    ReachFigure,
    SeriesLine,
    SeriesPoint,
)
from ecolabel_registry.statistics.timeline import (
    first_day_of_month,
    month_label,
    month_of_day,
    parts_of,
)
from verification.agreements import AgreementRecord, standing_on
from verification.recognition import Presented, resolve
from verification.status import CertificateStatus

_CROSSWALK = {CertificateGroup.CPV: "cpv", CertificateGroup.HS: "hs", CertificateGroup.CN_PROCUREMENT: "cn_procurement"}
_FIELDS = {
    "total": (),
    "programme": ("programme",),
    "category": ("programme", "category"),
    "criteria_version": ("programme", "category", "criteria_version"),
    "country": ("country",),
    "programme_country": ("programme", "country"),
}
_CACHE_SIZE = 64
_T = TypeVar("_T")
_cache: dict[tuple[str, int, bytes, int], object] = {}


def midnight(day: date) -> datetime:
    """00:00 UTC on `day`: the instant a date stands for (api.moments)."""
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def checkpoint_of(state: State) -> CheckpointRef:
    return CheckpointRef(tree_size=state.tree_size, root_hash=base64.b64encode(state.root_hash).decode())


def counts_on(connection: Connection, state: State, dimension: str, day: int) -> Counter[tuple[str, str]]:
    """(value, status) -> count as of `day`: the total at the end of the year before, plus the changes of
    the months before `day`'s in its year, plus those of its month up to `day`."""
    month = month_of_day(day)
    year = month // 12
    counts = _totals(connection, state, dimension, year - 1)
    if year <= state.horizon_year:
        periods = [(repository.daily, "day", first_day_of_month(month), day)]
        if month > year * 12:
            periods.append((repository.monthly, "month", year * 12, month - 1))
        for table, column, first, last in periods:
            for row in repository.changes_between(connection, table, column, dimension, first=first, last=last):
                counts[(row["value"], row["status"])] += int(row["delta"])
    return Counter({key: n for key, n in counts.items() if n})


def _totals(connection: Connection, state: State, dimension: str, year: int) -> Counter[tuple[str, str]]:
    """Counts at the end of `year`: after the horizon nothing changes any more."""
    counts: Counter[tuple[str, str]] = Counter()
    for row in repository.totals_at(connection, dimension, min(year, state.horizon_year)):
        counts[(row["value"], row["status"])] += row["total"]
    return counts


def certificate_figures(
    connection: Connection, state: State, group: CertificateGroup, day: int, programme: str | None = None
) -> list[CertificateFigure]:
    dimension = "criteria_version" if group in _CROSSWALK else group.value
    counts = counts_on(connection, state, dimension, day)
    figures: list[CertificateFigure] = []
    if group in _CROSSWALK:
        codes = _codes(connection, state)
        by_code: Counter[tuple[str, str]] = Counter()
        for (value, status), n in counts.items():
            parts = parts_of(value)
            if programme is not None and parts[0] != programme:
                continue
            for code in getattr(codes.get(tuple(parts), Crosswalk()), _CROSSWALK[group]):
                by_code[(code, status)] += n
        scheme = _CROSSWALK[group]
        return [
            CertificateFigure(scheme=scheme, code=code, status=status, count=n)
            for (code, status), n in sorted(by_code.items())
        ]
    crosswalks = _category_crosswalks(connection, state) if group is CertificateGroup.CATEGORY else {}
    for (value, status), n in sorted(counts.items()):
        fields = dict(zip(_FIELDS[dimension], parts_of(value), strict=True))
        if programme is not None and fields.get("programme") != programme:
            continue
        crosswalk = crosswalks.get((fields["programme"], fields["category"])) if crosswalks else None
        figures.append(CertificateFigure(**fields, status=status, count=n, crosswalk=crosswalk))
    return figures


def series(
    connection: Connection,
    state: State,
    group: CertificateGroup,
    months: tuple[int, int],
    programme: str | None = None,
) -> tuple[list[str], list[SeriesLine]]:
    """Monthly counts (as of each month's last day) from month `first` to `last`."""
    if group in _CROSSWALK:
        raise ValueError("crosswalk groups have no series")
    dimension, (first, last) = group.value, months
    wanted = list(range(first, last + 1))
    running = _totals(connection, state, dimension, first // 12 - 1)
    changes: dict[int, list[tuple[tuple[str, str], int]]] = defaultdict(list)
    for row in repository.monthly_changes(connection, dimension, first // 12 * 12, last):
        changes[row["month"]].append(((row["value"], row["status"]), int(row["delta"])))
    by_key: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for month in range(first // 12 * 12, last + 1):
        for key, delta in changes.get(month, []):
            running[key] += delta
        if month >= first:
            for key, n in running.items():
                if n:
                    by_key[key][month] = n
    lines = []
    for (value, status), points in sorted(by_key.items()):
        fields = dict(zip(_FIELDS[dimension], parts_of(value), strict=True))
        if programme is not None and fields.get("programme") != programme:
            continue
        lines.append(
            SeriesLine(
                **fields,
                status=status,
                points=[SeriesPoint(month=month_label(m), count=points.get(m, 0)) for m in wanted],
            )
        )
    return [month_label(m) for m in wanted], lines


def agreement_records(connection: Connection, state: State) -> list[AgreementRecord]:
    """Every agreement the log held at the checkpoint."""
    ids = connection.execute(
        select(agreements_table.c.id).where(agreements_table.c.leaf_index < state.tree_size)
    ).scalars()
    return agreement_lookup.records(connection, list(ids))


def agreement_figures(connection: Connection, state: State, at: datetime) -> list[AgreementFigure]:
    counts: Counter[tuple[str, str]] = Counter()
    for record in agreement_records(connection, state):
        answer = standing_on(record, at=at, known_at_us=state.integrated_us)
        counts[(record.agreement.agreement_type.value, answer.standing.value)] += 1
    return [AgreementFigure(agreement_type=t, standing=s, count=n) for (t, s), n in sorted(counts.items())]


def matrix(connection: Connection, state: State, at: datetime) -> tuple[list[str], list[MatrixCell]]:
    return _cached("matrix", state, at, lambda: _matrix(connection, state, at))


def reach(connection: Connection, state: State, day: int, at: datetime) -> list[ReachFigure]:
    return _cached("reach", state, at, lambda: _reach(connection, state, day, at))


def _matrix(connection: Connection, state: State, at: datetime) -> tuple[list[str], list[MatrixCell]]:
    """Every (source category, target category) that some agreement's scope connects, resolved on `at`:
    directly mapped pairs appear even when not accepted (with the reasons); longer paths when accepted."""
    records = agreement_records(connection, state)
    sources, targets, mapped = set(), set(), set()
    for record in records:
        for mapping in record.agreement.scope:
            source = (mapping.from_.programme, mapping.from_.category)
            target = (mapping.to.programme, mapping.to.category)
            sources.add(source)
            targets.add(target)
            mapped.add((source, target))
    cells = []
    for source in sorted(sources):
        for target in sorted(targets):
            if source[0] == target[0]:
                continue
            answer = resolve(Presented(*source), {target}, records, at=at, known_at_us=state.integrated_us)
            if not answer.accepted and (source, target) not in mapped:
                continue
            cells.append(
                MatrixCell(
                    from_programme=source[0],
                    from_category=source[1],
                    to_programme=target[0],
                    to_category=target[1],
                    decision=answer.decision.value,
                    agreement_types=[hop.agreement.agreement_type.value for hop in answer.path],
                    agreement_ids=[hop.agreement_id for hop in answer.path]
                    or sorted({r.agreement_id for r in answer.reasons if r.agreement_id}),
                    conditions=[c.note or ", ".join(c.criteria) for c in answer.conditions],
                    reasons=[r.code.value for r in answer.reasons],
                )
            )
    programmes = sorted({p for record in records for p in record.agreement.parties})
    return programmes, cells


def _reach(connection: Connection, state: State, day: int, at: datetime) -> list[ReachFigure]:
    """For each programme P and each other programme Q: P's active certificates that a requirement
    naming Q's categories accepts through agreements in force on `at` (the signing key is not judged)."""
    records = agreement_records(connection, state)
    recognizers = sorted({p for record in records for p in record.recognizers})
    categories = _categories(connection, state)
    for record in records:
        for mapping in record.agreement.scope:
            categories[mapping.to.programme].add(mapping.to.category)
    active: Counter[tuple[str, str, str]] = Counter()
    for (value, status), n in counts_on(connection, state, "criteria_version", day).items():
        if status == CertificateStatus.ACTIVE.value:
            programme, category, version = parts_of(value)
            active[(programme, category, version)] += n
    totals: Counter[str] = Counter()
    reached: Counter[tuple[str, str]] = Counter()
    for (programme, category, version), n in sorted(active.items()):
        totals[programme] += n
        presented = Presented(programme, category, version, CertificateStatus.ACTIVE)
        for recognizer in recognizers:
            if recognizer == programme:
                continue
            wanted = {(recognizer, c) for c in categories[recognizer]}
            answer = resolve(presented, wanted, records, at=at, known_at_us=state.integrated_us)
            if answer.accepted:
                reached[(programme, recognizer)] += n
    return [
        ReachFigure(programme=p, recognizer=q, certificates=n, active=totals[p])
        for (p, q), n in sorted(reached.items())
    ]


def _categories(connection: Connection, state: State) -> defaultdict[str, set[str]]:
    found: defaultdict[str, set[str]] = defaultdict(set)
    query = select(categories_table.c.programme_id, categories_table.c.code).where(
        categories_table.c.leaf_index < state.tree_size
    )
    for programme, code in connection.execute(query):
        found[programme].add(code)
    return found


def _codes(connection: Connection, state: State) -> dict[tuple[str, ...], Crosswalk]:
    """The crosswalk codes of each (programme, category, criteria version) logged by the checkpoint."""
    found: dict[tuple[str, ...], Crosswalk] = {}
    query = (
        select(
            codes_table.c.programme_id,
            codes_table.c.code,
            codes_table.c.criteria_version,
            codes_table.c.scheme,
            codes_table.c.value,
        )
        .join(
            categories_table,
            (categories_table.c.programme_id == codes_table.c.programme_id)
            & (categories_table.c.code == codes_table.c.code)
            & (categories_table.c.criteria_version == codes_table.c.criteria_version),
        )
        .where(categories_table.c.leaf_index < state.tree_size)
        .order_by(codes_table.c.scheme, codes_table.c.value)
    )
    for programme, code, version, scheme, value in connection.execute(query):
        getattr(found.setdefault((programme, code, version), Crosswalk()), scheme).append(value)
    return found


def _category_crosswalks(connection: Connection, state: State) -> dict[tuple[str, str], Crosswalk]:
    """A category's codes over all its criteria versions."""
    merged: dict[tuple[str, str], Crosswalk] = {}
    for (programme, code, _version), crosswalk in _codes(connection, state).items():
        target = merged.setdefault((programme, code), Crosswalk())
        for scheme in ("cpv", "cn_procurement", "hs"):
            values = getattr(target, scheme)
            values.extend(v for v in getattr(crosswalk, scheme) if v not in values)
            values.sort()
    return merged


def _cached(kind: str, state: State, at: datetime, compute: Callable[[], _T]) -> _T:
    key = (kind, state.tree_size, state.root_hash, int(at.astimezone(UTC).timestamp()))
    if key not in _cache:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = compute()
    found: _T = _cache[key]  # type: ignore[assignment]  # stored by the same kind's compute
    return found
