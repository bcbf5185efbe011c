"""Supply-chain queries on 100,000 organisations and 300,000 links, each beside the bare
recursive query measured in the same run on the same data.

The world is generated straight into the tables with bulk inserts (COPY on PostgreSQL), shaped like
real chains rather than a random graph (where every organisation would reach every other): 100
clusters of 1,000 organisations in five tiers — 10 final buyers, 40 distributors, 150 manufacturers,
300 processors, 500 raw-material suppliers — each buying from 5 or 6 organisations of the next tier,
plus links back up the chain (recycling loops: cycles) and raw material bought from other clusters.
80 % of organisations carry a (valid) LEI, a third of those hold a certificate (some suspended, some
expiring soon), manufacturers sell by GTIN and certificates list those GTINs. 10 % of links ended in
2024 and 5 % start in 2026, as of 2025-06-01.

Figures (per backend), each beside `graph.reachable_upstream` — one recursive CTE returning the
reachable organisations and their shortest tiers, nothing else — on the same roots:
- the full-depth upstream chain of a final buyer with every certificate's status, as the API builds it
  (`chain.supply_chain`, JSON-encoded): target p50 ≤ 100 ms;
- the audit report with what changed over the year before (two chains: a year ago and as of the date):
  target p50 ≤ 300 ms; and, reported, with both comparison dates away from it (three chains);
- the breadth-first walk alone (ids only), the design choice in `supply.graph`, against the CTE.

Run alone with `python -m benchmarks.supply_chain [--quick] [--backend …]` until `benchmarks/cli.py`
lists `supply_chain.figures` in `all_figures` (its owner's file).
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table, insert, text
from sqlalchemy.engine import make_url
from stdnum import ean
from stdnum.iso7064 import mod_97_10

from benchmarks.databases import postgres_admin, scratch_url, settle
from benchmarks.model import Backend, Context, Figure, Limit, Quantity, Result, Target
from benchmarks.timing import NS_PER_S, percentile
from benchmarks.timing import timed as timed_ns
from ecolabel_registry.certificates import repository as certificate_tables
from ecolabel_registry.db.engine import build_engine, is_sqlite, write_connection
from ecolabel_registry.db.migrate import upgrade
from ecolabel_registry.db.models import Programme
from ecolabel_registry.log import repository as log_tables
from ecolabel_registry.settings import Settings
from ecolabel_registry.supply import audit, chain, graph
from ecolabel_registry.supply import repository as supply_tables
from ecolabel_registry.supply.auth import OPERATOR
from ecolabel_registry.supply.link_repository import links as link_table
from ecolabel_registry.supply.risk import LowRiskPolicy
from ecolabel_registry.supply.schemas import parse_instant
from verification.leaf import to_microseconds

CHAIN_TARGET = Target(bound=100.0, at_most=True)
AUDIT_TARGET = Target(bound=300.0, at_most=True)
CLUSTER_TIERS = (10, 40, 150, 300, 500)  # final buyers first, raw material last
SUPPLIERS_PER_TIER = (5, 5, 6, 6)  # how many organisations of the next tier each one buys from
BACK_LINKS, CROSS_LINKS = 30, 20  # per cluster: recycling loops (cycles) and raw material from elsewhere
FULL_DEPTH = 32
AS_OF = to_microseconds(parse_instant("2025-06-01"))
YEAR_BEFORE = (to_microseconds(parse_instant("2024-06-01")), AS_OF)
ELSEWHEN = (to_microseconds(parse_instant("2024-06-01")), to_microseconds(parse_instant("2025-01-01")))
_DAY_US = 86_400 * 1_000_000
_Y2020, _Y2024, _Y2026 = (to_microseconds(parse_instant(d)) for d in ("2020-01-01", "2024-01-01", "2026-01-01"))
_CHUNK = 50_000
_POSTGRES_SCRATCH = "ecolabel_bench_supply"  # its own name: a 400k-row world should not share the scratch DB


@dataclass
class World:
    organisations: int
    links: int
    buyers: list[str]
    seconds: float


class _Rows:
    """Rows for each table, in insertion order (foreign keys), plus the next free log leaf."""

    def __init__(self) -> None:
        self.tables: dict[str, tuple[Table, tuple[str, ...], list[tuple[Any, ...]]]] = {}
        self.leaf = 0

    def add(self, table: Table, columns: tuple[str, ...], row: tuple[Any, ...]) -> None:
        self.tables.setdefault(table.name, (table, columns, []))[2].append(row)

    def next_leaf(self) -> int:
        self.leaf += 1
        return self.leaf - 1


_ENTRY = ("leaf_index", "kind", "integrated_us", "document", "document_sha256", "leaf_hash")
_ORG = ("id", "country", "names", "leaf_index", "recorded_us")
_IDENTIFIER = ("scheme", "value", "organisation_id")
_CERTIFICATE = (
    "id", "programme_id", "licence_number", "category_code", "criteria_version", "holder_name", "holder_country",
    "valid_from_us", "valid_until_us", "signing_kid", "leaf_index", "integrated_us", "event_count", "lifecycle",
)  # fmt: skip
_HOLDER = ("certificate_id", "scheme", "value")
_PRODUCT = ("certificate_id", "position", "name", "gtin")
_EVENT = (
    "certificate_id", "sequence", "status", "effective_us", "reason", "sha256", "signing_kid", "leaf_index",
    "integrated_us",
)  # fmt: skip
_LINK = (
    "id", "buyer_id", "supplier_id", "gtin", "material", "share", "volume", "unit", "valid_from_us", "valid_to_us",
    "evidence", "evidence_count", "state", "occurred_us", "recorded_us", "leaf_index", "event_count",
    "last_document_sha256",
)  # fmt: skip


def _entry(rows: _Rows, kind: str) -> int:
    leaf = rows.next_leaf()
    digest = hashlib.sha256(b"bench-supply-%d" % leaf).digest()
    rows.add(log_tables.entries_table, _ENTRY, (leaf, kind, _Y2024 + leaf, b"{}", digest, digest))
    return leaf


def _lei(number: int) -> str:
    base = f"549300{number:012d}"
    return base + mod_97_10.calc_check_digits(base)


def _gtin(number: int) -> str:
    digits = f"{800_000_000_000 + number:012d}"
    return "0" + digits + ean.calc_check_digit(digits)


def _generate(clusters: int, rng: random.Random) -> tuple[_Rows, list[str], int]:
    rows = _Rows()
    programme = Programme.__table__  # type: ignore[attr-defined]
    columns = ("id", "names", "countries", "gen_member", "registered_leaf_index", "registered_us")
    rows.add(programme, columns, ("bench", {"en": "Bench label"}, ["CN"], True, _entry(rows, "programme"), _Y2020))
    tiers: list[list[list[str]]] = []  # cluster -> tier -> organisation ids
    gtins: dict[str, str] = {}
    number = 0
    for _ in range(clusters):
        cluster: list[list[str]] = []
        for tier, size in enumerate(CLUSTER_TIERS):
            members = []
            for _ in range(size):
                number += 1
                org = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                leaf = _entry(rows, "supply_chain")
                rows.add(supply_tables.organisations, _ORG, (org, "CN", {"en": f"Org {number}"}, leaf, _Y2024))
                if rng.random() < 0.8:
                    lei = _lei(number)
                    rows.add(supply_tables.identifiers, _IDENTIFIER, ("LEI", lei, org))
                    if tier == 2:
                        gtins[org] = _gtin(number)
                    if rng.random() < 1 / 3:
                        _certificate(rows, rng, number, lei, gtins.get(org))
                members.append(org)
            cluster.append(members)
        tiers.append(cluster)
    link_count = 0
    for index, cluster in enumerate(tiers):
        pairs: set[tuple[str, str]] = set()
        for tier, per_buyer in enumerate(SUPPLIERS_PER_TIER):
            for buyer in cluster[tier]:
                pairs.update((buyer, supplier) for supplier in rng.sample(cluster[tier + 1], per_buyer))
        while len(pairs) < sum(a * b for a, b in zip(CLUSTER_TIERS, SUPPLIERS_PER_TIER, strict=False)) + BACK_LINKS:
            pairs.add((rng.choice(cluster[3]), rng.choice(cluster[1])))  # a processor buys back from a distributor
        elsewhere = tiers[(index + 1) % len(tiers)][4]
        for _ in range(CROSS_LINKS):
            pairs.add((rng.choice(cluster[3]), rng.choice(elsewhere)))
        for buyer, supplier in sorted(pairs):
            link_count += 1
            _link(rows, rng, link_count, buyer=buyer, supplier=supplier, gtin=gtins.get(supplier))
    return rows, [org for cluster in tiers for org in cluster[0]], link_count


def _certificate(rows: _Rows, rng: random.Random, number: int, lei: str, gtin: str | None) -> None:
    certificate = hashlib.sha256(b"cert-%d" % number).hexdigest()
    leaf = _entry(rows, "certificate")
    until = AS_OF + rng.randrange(-200, 1_000) * _DAY_US  # some lapsed, some expiring within 30/60/90 days
    suspended = rng.random() < 0.05
    rows.add(
        certificate_tables.certificates,
        _CERTIFICATE,
        (certificate, "bench", f"B/{number}", "001", "1", f"Org {number}", "CN", _Y2020, until, "k", leaf, _Y2020,
         int(suspended), "suspended" if suspended else "active"),
    )  # fmt: skip
    rows.add(certificate_tables.holder_ids, _HOLDER, (certificate, "LEI", lei))
    rows.add(certificate_tables.products, _PRODUCT, (certificate, 0, "Product", gtin))
    if suspended:
        event_leaf = _entry(rows, "certificate_event")
        sha = hashlib.sha256(b"event-%d" % number).hexdigest()
        effective = _Y2024 + 365 * _DAY_US
        rows.add(
            certificate_tables.events,
            _EVENT,
            (certificate, 1, "suspended", effective, "audit", sha, "k", event_leaf, effective),
        )


def _link(rows: _Rows, rng: random.Random, number: int, *, buyer: str, supplier: str, gtin: str | None) -> None:
    link = hashlib.sha256(b"link-%d" % number).hexdigest()
    leaf = _entry(rows, "supply_chain")
    when = rng.random()
    valid_from, valid_to = (_Y2020, None) if when < 0.85 else ((_Y2020, _Y2024) if when < 0.95 else (_Y2026, None))
    state = rng.choices(("confirmed", "declared", "disputed"), (70, 25, 5))[0]
    volume = round(rng.uniform(0.5, 500), 1) if rng.random() < 0.8 else None
    share = None if volume is not None else round(rng.random(), 2)
    material = None if gtin is not None else "material"
    evidence = [{"kind": "invoice", "reference": f"INV-{number}"}]
    rows.add(
        link_table,
        _LINK,
        (link, buyer, supplier, gtin, material, share, volume, "t" if volume else None, valid_from, valid_to,
         evidence, len(evidence), state, _Y2024, _Y2024, leaf, 0, link),
    )  # fmt: skip


def _load(engine: Engine, rows: _Rows, progress: Callable[[str], None]) -> None:
    order = (
        "log_entries", "programmes", "organisations", "organisation_identifiers", "certificates",
        "certificate_holder_ids", "certificate_products", "certificate_events", "supply_links",
    )  # fmt: skip
    for name in order:
        table, columns, values = rows.tables[name]
        for start in range(0, len(values), _CHUNK):
            with write_connection(engine) as connection:
                if is_sqlite(engine):
                    connection.execute(
                        insert(table), [dict(zip(columns, row, strict=True)) for row in values[start : start + _CHUNK]]
                    )
                else:
                    _copy(connection, name, columns, values[start : start + _CHUNK])
        progress(f"  {name}: {len(values):,} rows")
    settle(engine)


def _copy(connection: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    driver: Any = connection.connection.driver_connection  # psycopg.Connection
    with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in row])


@contextmanager
def _scratch(ctx: Context, backend: Backend) -> Iterator[Engine]:
    if backend == "sqlite":
        with scratch_url(ctx, backend) as url:
            yield from _migrated(url)
        return
    admin = postgres_admin(ctx)
    drop = text(f'DROP DATABASE IF EXISTS "{_POSTGRES_SCRATCH}" WITH (FORCE)')
    try:
        with admin.connect() as connection:
            connection.execute(drop)
            connection.execute(text(f'CREATE DATABASE "{_POSTGRES_SCRATCH}"'))
        url = make_url(ctx.postgres_url).set(database=_POSTGRES_SCRATCH).render_as_string(hide_password=False)
        yield from _migrated(url)
    finally:
        with admin.connect() as connection:
            connection.execute(drop)
        admin.dispose()


def _migrated(url: str) -> Iterator[Engine]:
    upgrade(url)
    engine = build_engine(url, pool_size=2)
    try:
        yield engine
    finally:
        engine.dispose()


def build(engine: Engine, organisations: int, progress: Callable[[str], None]) -> World:
    start = time.perf_counter_ns()
    rows, buyers, links = _generate(organisations // sum(CLUSTER_TIERS), random.Random(8))
    progress(f"  generated {organisations:,} organisations and {links:,} links")
    _load(engine, rows, progress)
    return World(organisations, links, buyers, (time.perf_counter_ns() - start) / NS_PER_S)


def _chain(engine: Engine, root: str) -> bytes:
    with engine.connect() as connection:
        answer = chain.supply_chain(connection, OPERATOR, root, at_us=AS_OF, depth=FULL_DEPTH, now_us=AS_OF)
    return orjson.dumps(answer)  # what GET /v1/organisations/{id}/supply-chain sends


def _audit(engine: Engine, policy: LowRiskPolicy, between: tuple[int, int], root: str) -> bytes:
    with engine.connect() as connection:
        report = audit.audit(
            connection, OPERATOR, root, at_us=AS_OF, depth=FULL_DEPTH, between=between, policy=policy, now_us=AS_OF
        )
    return report.model_dump_json(by_alias=True).encode()


def _walk(engine: Engine, root: str) -> int:
    with engine.connect() as connection:
        return len(chain.walk(connection, root, AS_OF, FULL_DEPTH).tiers)


def _cte(engine: Engine, root: str) -> int:
    with engine.connect() as connection:
        return len(graph.reachable_upstream(connection, root, AS_OF, FULL_DEPTH))


def _interleaved(operations: dict[str, Callable[[str], object]], roots: Sequence[str]) -> dict[str, list[int]]:
    """Nanoseconds per call of each operation, taking turns root by root: the machine's load changes during
    a run, and every operation, the bare CTE included, should meet the same conditions."""
    for root in roots[:5]:  # warm-up: caches, prepared statements, the buffer pool
        for operation in operations.values():
            operation(root)
    samples: dict[str, list[int]] = {key: [] for key in operations}
    for root in roots:
        for key, operation in operations.items():
            samples[key].append(timed_ns(partial(operation, root)))
    return samples


def _check(engine: Engine, roots: Sequence[str]) -> tuple[float, float]:
    """The two traversals must agree before their times mean anything; returns mean nodes and links."""
    sizes = []
    for root in roots[:5]:
        with engine.connect() as connection:
            walked = chain.walk(connection, root, AS_OF, FULL_DEPTH)
            disclosed = {o: tier for o, tier in walked.tiers.items() if o not in walked.withheld}
            if disclosed != graph.reachable_upstream(connection, root, AS_OF, FULL_DEPTH):
                raise AssertionError(f"breadth-first search and recursive CTE disagree for {root}")
        sizes.append((len(walked.tiers), len(walked.links)))
    return statistics.mean(n for n, _ in sizes), statistics.mean(link for _, link in sizes)


def _run(backend: Backend, ctx: Context) -> list[Result]:
    organisations = ctx.scale(100_000, 10_000)
    name = f"supply.chain.{backend}"
    with _scratch(ctx, backend) as engine:
        ctx.progress(f"building a {organisations:,}-organisation supply world on {backend}")
        world = build(engine, organisations, ctx.progress)
        rng = random.Random(organisations)
        roots = rng.sample(world.buyers, min(len(world.buyers), ctx.scale(60, 20)))
        nodes, links = _check(engine, roots)
        policy = LowRiskPolicy.from_settings(Settings())
        operations: dict[str, Callable[[str], object]] = {
            "cte": partial(_cte, engine),
            "chain": partial(_chain, engine),
            "audit": partial(_audit, engine, policy, YEAR_BEFORE),
            "audit3": partial(_audit, engine, policy, ELSEWHEN),
            "walk": partial(_walk, engine),
        }
        ctx.progress(f"  timing {len(roots)} final buyers' chains ({nodes:.0f} organisations, {links:.0f} links)")
        timed = _interleaved(operations, roots)
    size = f"{world.organisations // 1000}k orgs/{world.links // 1000}k links"
    built = f"{size}, built directly (not timed) in {world.seconds:.0f} s"
    per_chain = f"{nodes:.0f} organisations and {links:.0f} links per chain on average"
    results = []
    for label, key, target, note in (
        ("full-depth chain with statuses", "chain", CHAIN_TARGET, per_chain),
        (
            "audit report, changes over the year",
            "audit",
            AUDIT_TARGET,
            "two chains (a year before, as of) and the report",
        ),
        ("audit report, changes between other dates", "audit3", None, "three chains (as of, from, to)"),
        ("breadth-first walk, ids only", "walk", None, "the traversal `supply.graph` uses"),
    ):
        for q in (50, 99):
            limit = Limit(Quantity(percentile(timed["cte"], q), "ms"), f"p{q}, bare recursive CTE (ids, shortest tier)")
            results.append(
                Result(
                    name,
                    f"{label} p{q}, {size} [{backend}]",
                    Quantity(percentile(timed[key], q), "ms"),
                    limit,
                    target=target if q == 50 else None,
                    note=note if q == 50 else (built if key == "chain" else ""),
                )
            )
    return results


def figures(backends: Sequence[Backend]) -> list[Figure]:
    return [
        Figure(f"supply.chain.{backend}", f"supply-chain queries on {backend}", partial(_run, backend))
        for backend in backends
    ]


if __name__ == "__main__":
    # Until benchmarks/cli.py lists this module (its owner's file), run these figures through the same CLI.
    from benchmarks import cli, limits

    cli.all_figures = lambda backends: [*limits.figures(backends), *figures(backends)]
    raise SystemExit(cli.main())
