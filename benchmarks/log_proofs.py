"""Inclusion-proof time on a small and a large log: how `log.service.prove_inclusion` grows with size."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from functools import partial

from sqlalchemy import Engine, select

from benchmarks.databases import scratch_engine
from benchmarks.log_build import SyntheticLog, synthetic_leaf
from benchmarks.model import Backend, Context, Figure, Limit, Quantity, Result, Target
from benchmarks.timing import NS_PER_S, latencies, percentile
from ecolabel_registry.log import repository, service
from verification.merkle import root_from_leaf_hashes, verify_inclusion

GROWTH_TARGET = Target(bound=2.0, at_most=True)
_REFERENCE_ROOT_MAX = 20_000  # recompute the root with the RFC reference code up to this size


def _prove(engine: Engine, leaf_index: int) -> None:
    """What GET /log/proofs/inclusion does with the database: one pooled connection, current size."""
    with engine.connect() as connection:
        service.prove_inclusion(connection, leaf_index, None)


def _point_lookup(engine: Engine, leaf_index: int) -> None:
    """The raw floor: one primary-key SELECT of one node, on a pooled connection."""
    nodes = repository.nodes_table
    query = select(nodes.c.hash).where(nodes.c.level == 0, nodes.c.idx == leaf_index)
    with engine.connect() as connection:
        connection.execute(query).one()


def _check(engine: Engine, log: SyntheticLog, rng: random.Random) -> None:
    """Served proofs must verify against the root before their time means anything."""
    if log.size <= _REFERENCE_ROOT_MAX:
        reference = root_from_leaf_hashes([synthetic_leaf(i)[1] for i in range(log.size)])
        if reference != log.root:
            raise AssertionError("synthetic log root differs from the RFC 9162 reference root")
    with engine.connect() as connection:
        head = repository.read_head(connection)
        for index in (0, log.size - 1, rng.randrange(log.size)):
            size, leaf, proof = service.prove_inclusion(connection, index, None)
            if leaf != synthetic_leaf(index)[1] or head.root_hash != log.root:
                raise AssertionError(f"stored leaf {index} or head root is not what was built")
            verify_inclusion(index, size, leaf, proof, head.root_hash)


def _label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1_000}k"


def _measure(
    backend: Backend, engine: Engine, log: SyntheticLog, ctx: Context, built: str
) -> tuple[list[Result], tuple[float, float]]:
    rng = random.Random(log.size)
    _check(engine, log, rng)
    samples = ctx.scale(500, 200)
    indexes = [rng.randrange(log.size) for _ in range(samples)]
    ctx.progress(f"  timing {samples} inclusion proofs and point lookups at {log.size:,} leaves")
    proofs = latencies(partial(_prove, engine), indexes)
    floor = latencies(partial(_point_lookup, engine), indexes)
    name, size = f"log.proof.{backend}", _label(log.size)
    results = []
    for q in (50, 99):
        limit = Limit(Quantity(percentile(floor, q), "ms"), f"p{q}, one-node primary-key SELECT")
        value = Quantity(percentile(proofs, q), "ms")
        label = f"inclusion proof p{q}, {size} leaves [{backend}]"
        note = f"{samples} random leaves; {built}" if q == 50 else ""
        results.append(Result(name, label, value, limit, note=note))
    return results, (percentile(proofs, 50), percentile(proofs, 99))


def _run(backend: Backend, ctx: Context) -> list[Result]:
    small, large = 10_000, ctx.scale(1_000_000, 100_000)
    results: list[Result] = []
    times: list[tuple[float, float]] = []
    with scratch_engine(ctx, backend, migrated=True) as engine:
        log = SyntheticLog(engine)
        for size in (small, large):
            ctx.progress(f"building a {size:,}-leaf log on {backend}")
            start = time.perf_counter_ns()
            log.extend_to(size, ctx.progress)
            seconds = (time.perf_counter_ns() - start) / NS_PER_S
            ctx.progress(f"  built in {seconds:.1f} s")
            built = f"log built directly (not timed) in {seconds:.0f} s"
            rows, percentiles = _measure(backend, engine, log, ctx, built)
            results += rows
            times.append(percentiles)
    (small_p50, small_p99), (large_p50, large_p99) = times
    growth = Quantity(large_p50 / small_p50, "x")
    label = f"proof p50 growth {_label(large)}/{_label(small)} [{backend}]"
    note = f"median on the large log over the small one (p99: {large_p99 / small_p99:.2f}x)"
    results.append(Result(f"log.proof.{backend}", label, growth, target=GROWTH_TARGET, note=note))
    return results


def figures(backends: Sequence[Backend]) -> list[Figure]:
    return [
        Figure(f"log.proof.{backend}", f"inclusion-proof time on {backend}", partial(_run, backend))
        for backend in backends
    ]
