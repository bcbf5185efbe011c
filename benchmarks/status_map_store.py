"""The stored status map (`ecolabel_registry.status_map`) at 1M certificates, beside raw inserts.

A map of 1,000,000 random certificate ids (`--quick`: 100,000) is built in memory and its rows are
bulk-loaded (not timed); then status events go through `status_map.service.apply`, as the write
path would call it: one event per transaction, and 100 per transaction (group commit). Each event
reads its path and siblings in one indexed query and upserts the rows it changed. The limits are raw
inserts per second in the same run (1 row per transaction, and 1,000), so the ratio says how close a
map update comes to the cheapest write the database can do. Proof reads are timed against a
one-row primary-key SELECT. The tables' size on disk is measured after the load.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import partial

from sqlalchemy import Engine, func, select, text

from benchmarks.databases import scratch_engine, settle
from benchmarks.limits import RAW_BATCH, insert_limit
from benchmarks.model import Backend, Context, Figure, Limit, Quantity, Result
from benchmarks.timing import latencies, per_second, percentile, timed
from ecolabel_registry.db.bulk import insert_rows
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.status_map import repository, service
from verification.status_map import verify_lookup
from verification.status_map_tree import StatusMapTree

_CHUNK = 50_000


def _load(engine: Engine, tree: StatusMapTree) -> None:
    positions = list(tree.positions())
    for start in range(0, len(positions), _CHUNK):
        rows = [tree.row(p) for p in positions[start : start + _CHUNK]]
        with write_connection(engine) as connection:
            insert_rows(
                connection,
                repository.nodes_table,
                [
                    {
                        "position": repository.encode_position(r.position),
                        "hash": r.hash,
                        "leaf_key": r.leaf_key,
                        "value_sha256": r.value_sha256,
                    }
                    for r in rows
                ],
            )
    with write_connection(engine) as connection:
        repository.write_state(connection, len(tree), len(tree))
    settle(engine)


def _bytes_on_disk(engine: Engine) -> float:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return float(connection.execute(select(func.pg_total_relation_size("status_map_nodes"))).scalar_one())
        # SQLite: the pages of the table and its primary-key index (dbstat is not always compiled in)
        pages = connection.execute(text("PRAGMA page_count")).scalar_one()
        size = connection.execute(text("PRAGMA page_size")).scalar_one()
        return float(pages * size)


def _point_read(engine: Engine, position: bytes) -> None:
    with engine.connect() as connection:
        connection.execute(select(repository.nodes_table.c.hash).where(repository.nodes_table.c.position == position))


def _run(backend: Backend, ctx: Context) -> list[Result]:
    rng = random.Random(5)
    size = ctx.scale(1_000_000, 100_000)
    label = f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1_000}k"
    keys = [rng.randbytes(32) for _ in range(size)]
    tree = StatusMapTree()
    ctx.progress(f"  building a {size:,}-id map in memory and loading its rows on {backend}")
    for key in keys:
        tree.put_hash(key, rng.randbytes(32))
    results: list[Result] = []
    name = f"status_map.store.{backend}"
    with scratch_engine(ctx, backend, migrated=True) as engine:
        _load(engine, tree)
        disk = _bytes_on_disk(engine)
        results.append(
            Result(
                name,
                f"map rows on disk, {label} ids [{backend}]",
                Quantity(disk / size, "bytes/id"),
                note=f"{disk / 2**20:,.0f} MiB for {tree.rows:,} rows; x10 for 10M ids is an extrapolation",
            )
        )
        results += _events(ctx, backend, engine, tree=tree, keys=keys, rng=rng, label=label)
        samples = ctx.scale(500, 200)
        probes = [keys[rng.randrange(size)] for _ in range(samples)]

        def prove(index: int) -> None:
            with engine.connect() as connection:
                service.prove(connection, probes[index])

        with engine.connect() as connection:
            root, proof = service.prove(connection, probes[0])
            if verify_lookup(root, probes[0], proof) != tree.value_sha256(probes[0]):
                raise AssertionError("a stored proof does not verify")
        timings = latencies(prove, list(range(samples)))
        stored = [repository.encode_position(p) for p in rng.sample(list(tree.positions()), samples)]
        floor = latencies(lambda i: _point_read(engine, stored[i]), list(range(samples)))
        for q in (50, 99):
            limit = Limit(Quantity(percentile(floor, q), "ms"), f"p{q}, one-row primary-key SELECT")
            results.append(
                Result(name, f"map proof read p{q}, {label} [{backend}]", Quantity(percentile(timings, q), "ms"), limit)
            )
    return results


def _events(
    ctx: Context,
    backend: Backend,
    engine: Engine,
    *,
    tree: StatusMapTree,
    keys: list[bytes],
    rng: random.Random,
    label: str,
) -> list[Result]:
    """Status events through `service.apply`, one per transaction and 100 per transaction."""
    size = len(keys)
    one_row, batch_rows = insert_limit(ctx, backend, 1), insert_limit(ctx, backend, RAW_BATCH)
    single, grouped = ctx.scale(2_000, 300), ctx.scale(20_000, 3_000)
    events = [(keys[rng.randrange(size)], rng.randbytes(32)) for _ in range(single + grouped)]
    log_size = size
    written_rows = 0

    def one_by_one() -> None:
        nonlocal log_size
        for event in events[:single]:
            log_size += 1
            with write_connection(engine) as connection:
                service.apply(connection, [event], log_size)

    def in_groups() -> None:
        nonlocal log_size
        for start in range(single, single + grouped, 100):
            log_size += 100
            with write_connection(engine) as connection:
                service.apply(connection, events[start : start + 100], log_size)

    ctx.progress(f"  {single:,} status events one per transaction, {grouped:,} in groups of 100")
    rate_single = per_second(single, timed(one_by_one))
    rate_grouped = per_second(grouped, timed(in_groups))
    for key, value in events:
        written_rows += len(tree.put_hash(key, value))
    with engine.connect() as connection:
        if service.current_root(connection).root != tree.root:
            raise AssertionError("the stored map's root differs from the in-memory tree after the same events")
    per_event = written_rows / len(events)
    name = f"status_map.store.{backend}"
    return [
        Result(
            name,
            f"status events/s, 1 per txn, {label} [{backend}]",
            Quantity(rate_single, "events/s"),
            _as_events(one_row, per_event),
            note=f"{per_event:.1f} rows upserted per event (measured)",
        ),
        Result(
            name,
            f"status events/s, 100 per txn, {label} [{backend}]",
            Quantity(rate_grouped, "events/s"),
            _as_events(batch_rows, per_event),
        ),
    ]


def _as_events(limit: Limit, rows_per_event: float) -> Limit:
    """The raw insert limit in events/s: what the database could do if an event were only its rows."""
    return Limit(Quantity(limit.quantity.value / rows_per_event, "events/s"), f"{limit.how}, / rows per event")


def figures(backends: Sequence[Backend]) -> list[Figure]:
    return [
        Figure(f"status_map.store.{backend}", f"stored status map on {backend}", partial(_run, backend))
        for backend in backends
    ]
