"""`fsck --full` and `rebuild`: the tables checked against, and made again from, a replay of the log.

Two registries per backend, each written through the registry's own signed write paths:
- the demo world (`ecolabel-registry demo`: programmes, keys, categories, agreements, 5,000+
  certificates with status events, supply chains);
- one programme with N certificates, N = 100,000 (`--quick`: 10,000; `BENCH_INTEGRITY_CERTIFICATES`
  sets it, e.g. 1000000 for the full size, which takes about ten times as long).

Each time is shown beside the machine's own limit measured in the same run on the same database: the
time to read every log entry in order (`log.repository.fetch_entries`, 2,000 at a time, the replay's
read), which is what any replay must at least do. A replay then verifies every signature again and
writes every row; `fsck` also reads and compares every table. For the large log the note also gives the
time the batch write path (`submission.prepare` + `submission.commit`, 1,000 a transaction) took to
write the same certificates into the registry (the credentials' own signing not counted): what a replay,
which hands every leaf to that same path, costs at least beside reading the log.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from benchmarks.credentials import Issuer
from benchmarks.databases import scratch_url, settle
from benchmarks.model import Backend, Context, Figure, Limit, Quantity, Result
from benchmarks.timing import NS_PER_S
from ecolabel_registry.app import build_context
from ecolabel_registry.categories import service as categories
from ecolabel_registry.certificates import submission
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.db.migrate import upgrade
from ecolabel_registry.demo.loader import load
from ecolabel_registry.demo.spec import load_world
from ecolabel_registry.integrity import check
from ecolabel_registry.integrity.rebuild import rebuild
from ecolabel_registry.log import repository
from ecolabel_registry.programmes import service as programmes
from ecolabel_registry.programmes.schemas import ProgrammeRegistration
from ecolabel_registry.settings import Settings
from verification.canonical import dumps_canonical_fast
from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey

BATCH = 1_000
READ_CHUNK = 2_000


def _seconds(run: Callable[[], object]) -> float:
    return _timed(run)[0]


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds of `run` (on a shared machine the CPU time is the steadier)."""
    start, cpu = time.perf_counter_ns(), time.process_time_ns()
    run()
    return (time.perf_counter_ns() - start) / NS_PER_S, (time.process_time_ns() - cpu) / NS_PER_S


def _read_log(context: RegistryContext) -> int:
    with context.engine.connect() as connection:
        size = repository.read_head(connection).tree_size
        for start in range(0, size, READ_CHUNK):
            repository.fetch_entries(connection, start, min(size, start + READ_CHUNK))
    return size


def _certificates(context: RegistryContext, count: int, progress: Callable[[str], None]) -> tuple[float, float]:
    """Write `count` certificates in batches; the wall-clock and CPU seconds the batch write path took
    (signing them not counted)."""
    issuer = Issuer()
    signer = context.note_signer
    root = PublicKey.from_private_key(generate_private_key(), kid=f"{issuer.programme_id}-root-1").to_jwk()
    registration = {"root_keys": [root], "root_threshold": 1, **issuer.registration()}
    document = dumps_canonical_fast(registration)
    with write_connection(context.engine) as connection:
        programmes.register(connection, signer, ProgrammeRegistration.model_validate(registration), document)
        categories.define(connection, signer, issuer.programme_id, issuer.category())
    writing = cpu = 0
    for start in range(0, count, BATCH):
        tokens = issuer.credentials(start, min(BATCH, count - start))
        began, began_cpu = time.perf_counter_ns(), time.process_time_ns()
        with write_connection(context.engine) as connection:
            submission.commit(connection, signer, submission.prepare(connection, tokens))
        writing += time.perf_counter_ns() - began
        cpu += time.process_time_ns() - began_cpu
        if (start + BATCH) % 50_000 == 0:
            progress(f"  {start + BATCH:,} certificates")
    return writing / NS_PER_S, cpu / NS_PER_S


def _measure(
    ctx: Context, backend: Backend, world: str, build: Callable[[RegistryContext], tuple[float, float] | None]
) -> list[Result]:
    name = f"integrity.{backend}"
    with scratch_url(ctx, backend) as url, scratch_url(ctx, backend) as rebuilt_url:
        upgrade(url)
        context = build_context(ctx_settings(ctx, url))
        try:
            ctx.progress(f"writing {world} on {backend}")
            written = build(context)
            settle(context.engine)
            size = 0

            def read() -> None:
                nonlocal size
                size = _read_log(context)

            reading = _seconds(read)
            replica = ctx.workdir / f"replica-{backend}.sqlite3"
            ctx.progress(f"fsck --full on {backend} ({size:,} leaves)")
            found: list[check.CheckReport] = []
            fsck_s, fsck_cpu = _timed(
                lambda: found.append(
                    check.check(context.engine, context.settings, context.signing_key, replica=replica, full=True)
                )
            )
            if found[0].divergence is not None:
                raise AssertionError(f"fsck found {found[0].divergence} on an untouched registry")
            ctx.progress(f"rebuild on {backend}")
            rebuild_s, rebuild_cpu = _timed(
                lambda: rebuild(context.engine, rebuilt_url, context.settings, context.signing_key, progress=None)
            )
        finally:
            context.engine.dispose()
    limit = Limit(Quantity(reading, "s"), f"reading the {size:,} log entries in order, same database, same run")
    rate = f"{size / fsck_s:,.0f} leaves/s; the raw read {size / reading:,.0f} leaves/s"
    if written is not None:
        wall, cpu = written
        rate += (
            f"; batch write of its certificates {wall:.1f} s, {fsck_s / wall:.2f}x it; in this process's CPU:"
            f" batch write {cpu:.1f} s, fsck {fsck_cpu:.1f} s ({fsck_cpu / cpu:.2f}x),"
            f" rebuild {rebuild_cpu:.1f} s ({rebuild_cpu / cpu:.2f}x)"
        )
    return [
        Result(name, f"fsck --full, {world} [{backend}]", Quantity(fsck_s, "s"), limit, note=rate),
        Result(
            name,
            f"rebuild --into, {world} [{backend}]",
            Quantity(rebuild_s, "s"),
            limit,
            note=f"{size / rebuild_s:,.0f} leaves/s into an empty {backend} database"
            + (f", {rebuild_s / written[0]:.2f}x the batch write" if written is not None else ""),
        ),
    ]


def ctx_settings(ctx: Context, url: str) -> Settings:
    return Settings(
        database_url=url,
        signing_key_path=ctx.workdir / "integrity-key.pem",
        admin_token_path=ctx.workdir / "integrity-admin-token",
        admin_token="bench-admin-token-0123456789abcdefghijkl",
    )


def _demo(context: RegistryContext, keys: Path) -> None:
    load(context, load_world(), keys)


def _run(backend: Backend, ctx: Context) -> list[Result]:
    count = int(os.environ.get("BENCH_INTEGRITY_CERTIFICATES") or ctx.scale(100_000, 10_000))
    demo = _measure(
        ctx,
        backend,
        "demo world",
        lambda context: _demo(context, ctx.workdir / f"demo-keys-{backend}"),
    )
    large = _measure(
        ctx,
        backend,
        f"{count:,} certificates",
        lambda context: _certificates(context, count, ctx.progress),
    )
    return [*demo, *large]


def figures(backends: Sequence[Backend]) -> list[Figure]:
    return [
        Figure(
            f"integrity.{backend}",
            f"fsck --full and rebuild of the demo world and of a large log, beside reading the log, on {backend}",
            partial(_run, backend),
        )
        for backend in backends
    ]
