"""Open-data statistics over 1,000,000 certificates (`--quick`: 100,000): each answer beside a raw count.

A synthetic registry is built directly in the tables: a log of that many leaves (`benchmarks.log_build`),
10 programmes, certificates spread over 20 categories, 3 criteria versions and 12 holder countries,
valid for three years from a day in 2016-2026, and one in twenty suspended a year after it began. Then:

- the first refresh (every certificate read once) and an incremental one after 1,000 more certificates;
- each statistic as the API computes it (the freshness check, a snapshot, the figures), median and p99
  over random dates, against the target of 200 ms;
- beside each, the raw query a database would run without the precomputed figures: certificates valid
  on the date counted per programme (it ignores status events, so it does less than the statistic).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import Engine, func, select

from benchmarks.databases import scratch_engine, settle
from benchmarks.log_build import BASE_US, SyntheticLog
from benchmarks.model import Backend, Context, Figure, Limit, Quantity, Result, Target
from benchmarks.timing import NS_PER_MS, latencies, percentile, timed
from ecolabel_registry.certificates.repository import certificates, events
from ecolabel_registry.db.bulk import insert_rows
from ecolabel_registry.db.engine import read_snapshot, write_connection
from ecolabel_registry.programmes.repository import programmes_table
from ecolabel_registry.statistics import repository, service
from ecolabel_registry.statistics.refresh import refresh
from ecolabel_registry.statistics.schemas import CertificateGroup
from ecolabel_registry.statistics.timeline import DAY_US, day_of, month_of_day

PROGRAMMES = 10
COUNTRIES = ("CN", "JP", "KR", "DE", "SE", "TH", "SG", "AU", "NZ", "US", "CA", "FR")
THREE_YEARS_US = 3 * 365 * DAY_US
SAMPLES = 60
TARGET_MS = 200.0
_FIRST_DAY = day_of(date(2016, 1, 1))
_DAYS = day_of(date(2026, 1, 1)) - _FIRST_DAY


def _certificate(index: int, leaf: int) -> dict[str, Any]:
    rng = random.Random(index)
    valid_from = (_FIRST_DAY + rng.randrange(_DAYS)) * DAY_US + rng.randrange(DAY_US)
    return {
        "id": hashlib.sha256(b"certificate-%d" % index).hexdigest(),
        "programme_id": f"programme-{index % PROGRAMMES}",
        "licence_number": f"L-{index}",
        "category_code": f"category-{(index // PROGRAMMES) % 20}",
        "criteria_version": f"{(index // 200) % 3 + 1}.0",
        "holder_name": f"Holder {index % 5000}",
        "holder_country": COUNTRIES[rng.randrange(len(COUNTRIES))],
        "valid_from_us": valid_from,
        "valid_until_us": valid_from + THREE_YEARS_US,
        "signing_kid": "bench-key",
        "leaf_index": leaf,
        "integrated_us": BASE_US + leaf,
        "event_count": 0,
        "lifecycle": "active",
        "markets": [],
    }


def _suspension(certificate: dict[str, Any], leaf: int) -> dict[str, Any]:
    return {
        "certificate_id": certificate["id"],
        "sequence": 1,
        "status": "suspended",
        "effective_us": certificate["valid_from_us"] + 365 * DAY_US,
        "reason": "bench",
        "valid_until_us": None,
        "sha256": hashlib.sha256(certificate["id"].encode()).hexdigest(),
        "signing_kid": "bench-key",
        "leaf_index": leaf,
        "integrated_us": BASE_US + leaf,
    }


class _World:
    """Programmes at leaves 0..9, then certificates, each batch's suspensions after its certificates."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.log = SyntheticLog(engine)
        self.certificates = 0

    def start(self, progress: Callable[[str], None]) -> None:
        self.log.extend_to(PROGRAMMES, progress)
        rows = [
            {
                "id": f"programme-{i}",
                "names": {"en": f"Programme {i}"},
                "countries": [COUNTRIES[i]],
                "gen_member": True,
                "registered_leaf_index": i,
                "registered_us": BASE_US + i,
                "root_threshold": 1,
            }
            for i in range(PROGRAMMES)
        ]
        with write_connection(self.engine) as connection:
            connection.execute(programmes_table.insert(), rows)

    def add(self, count: int, progress: Callable[[str], None]) -> None:
        for low in range(0, count, 50_000):
            size = min(50_000, count - low)
            first = self.log.size
            batch = [_certificate(self.certificates + i, first + i) for i in range(size)]
            suspended = [row for row in batch if int(row["id"][:4], 16) % 20 == 0]
            for row in suspended:
                row["event_count"] = 1
            self.log.extend_to(first + size + len(suspended), lambda _: None)
            with write_connection(self.engine) as connection:
                insert_rows(connection, certificates, batch)
                insert_rows(connection, events, [_suspension(r, first + size + i) for i, r in enumerate(suspended)])
            self.certificates += size
            progress(f"  {self.certificates:,} certificates")
        settle(self.engine)


def _answer(engine: Engine, compute: Callable[[Any, repository.State], object]) -> object:
    refresh(engine)  # the freshness check every request makes
    with read_snapshot(engine) as connection:
        return compute(connection, repository.read_state(connection))


def _raw_count(engine: Engine, day: int) -> object:
    moment = day * DAY_US
    query = (
        select(certificates.c.programme_id, func.count())
        .where(certificates.c.valid_from_us <= moment, certificates.c.valid_until_us > moment)
        .group_by(certificates.c.programme_id)
    )
    with engine.connect() as connection:
        return connection.execute(query).all()


def _statistics(engine: Engine) -> list[tuple[str, Callable[[int], object]]]:
    def figures(group: CertificateGroup) -> Callable[[int], object]:
        return lambda day: _answer(engine, lambda c, s: service.certificate_figures(c, s, group, day))

    def series(day: int) -> object:
        last = month_of_day(day)
        return _answer(engine, lambda c, s: service.series(c, s, CertificateGroup.PROGRAMME, (last - 23, last)))

    return [
        ("certificates by programme and status", figures(CertificateGroup.PROGRAMME)),
        ("certificates by category and status", figures(CertificateGroup.CATEGORY)),
        ("certificates by programme, country and status", figures(CertificateGroup.PROGRAMME_COUNTRY)),
        ("monthly series by programme, 24 months", series),
    ]


def _run(backend: Backend, ctx: Context) -> list[Result]:
    count = ctx.scale(1_000_000, 100_000)
    name = f"statistics.{backend}"
    results = []
    with scratch_engine(ctx, backend, migrated=True) as engine:
        world = _World(engine)
        world.start(ctx.progress)
        ctx.progress(f"building {count:,} certificates on {backend}")
        world.add(count, ctx.progress)
        ctx.progress("first refresh: every certificate")
        first_ns = timed(lambda: refresh(engine))
        world.add(1_000, ctx.progress)
        again_ns = timed(lambda: refresh(engine))
        results.append(
            Result(name, f"first refresh, {count:,} certificates [{backend}]", Quantity(first_ns / 1e9, "s"))
        )
        results.append(Result(name, f"  refresh after 1,000 more [{backend}]", Quantity(again_ns / NS_PER_MS, "ms")))
        rng = random.Random(7)
        days = [_FIRST_DAY + rng.randrange(_DAYS + 3 * 365) for _ in range(SAMPLES)]
        raw = latencies(partial(_raw_count, engine), days, warmup=5)
        limit = Limit(Quantity(percentile(raw, 50), "ms"), "raw count of valid certificates per programme, median")
        for label, operation in _statistics(engine):
            samples = latencies(operation, days, warmup=5)
            results.append(
                Result(
                    name,
                    f"{label} [{backend}]",
                    Quantity(percentile(samples, 50), "ms"),
                    limit,
                    Target(TARGET_MS, at_most=True),
                    note=f"p99 {percentile(samples, 99):.1f} ms over {len(samples)} random dates",
                )
            )
    return results


def figures(backends: Sequence[Backend]) -> list[Figure]:
    return [
        Figure(
            f"statistics.{backend}",
            f"open-data statistics over 1M certificates beside a raw count, on {backend}",
            partial(_run, backend),
        )
        for backend in backends
    ]
