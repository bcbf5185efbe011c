"""Single verification over HTTP: GET /v1/verify/certificates/{id} on a registry of ~10,000 certificates.

- Requests/s at 32 connections (saturation) against the **verification floor** (`http_floor`): the app
  floor plus one Ed25519 signature and one indexed read, measured in the same run; target ≥ 0.5.
- p99 at an offered load of half that maximum, from wrk paced by `paced_paths.lua` (a fixed schedule of
  requests, not a closed loop); target ≤ 10 ms. Beside it, p99 at saturation (reported, not judged: at
  32 busy connections the mean latency is 32 ÷ requests/s, Little's law).
- On PostgreSQL, the same saturation run against `serve --workers 2` on the same database, beside one
  worker (`benchmarks.http_workers`).

The ids are drawn at random by the Lua scripts from every certificate loaded (through the batch
endpoint, not timed). Before the measured runs every serving process has had every id (one pass in turn,
`sequential_paths.lua`; for two workers, passes until each has had nearly all): a process keeps each
certificate's inclusion-proof nodes and its verified credential; loading fills the credentials only in
the process that took the batches and never the nodes (write paths do not), and a check whose proof is
not cached reads it in a thread, ~1 ms of worker CPU against ~0.3 ms warm. After a second of random ids
instead, a quarter to half of the measured checks were such first sights, and the two-worker rate
followed the runs before it on the same server: 1,747 requests/s, then 4,796 to 6,200.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

from benchmarks import wrk
from benchmarks.databases import settle
from benchmarks.http_bare import CONNECTIONS, bare_rps, load
from benchmarks.http_floor import app_rps, verification_floor
from benchmarks.http_registry import running_registry, write_lines
from benchmarks.http_workers import beside_one_worker
from benchmarks.model import Backend, Context, Figure, Quantity, Result, Target
from benchmarks.registry_client import certificate_id, get, submit_batches
from benchmarks.servers import registry_server

RATIO_TARGET = Target(bound=0.5, at_most=False, on_ratio=True)
P99_TARGET = Target(bound=10.0, at_most=True)
PACED_SHARE = 0.5  # the paced run offers this share of the saturated run's requests/s
PREFIX = "/v1/verify/certificates/"
WARM_UP_CAP_S = 120.0  # a pass over every id ends when each has been answered; this only bounds it


def _saturating(ctx: Context, ids: Path) -> wrk.Load:
    base = load(ctx)
    return wrk.Load(base.connections, base.seconds, "random_paths.lua", (PREFIX, str(ids)))


def _every_id(ids: Path) -> wrk.Load:
    """Every loaded id once, in turn, at full concurrency: the warm-up (module docstring)."""
    return wrk.Load(CONNECTIONS, WARM_UP_CAP_S, "sequential_paths.lua", (PREFIX, str(ids), "1"))


def _saturate(ctx: Context, url: str, ids: Path) -> wrk.WrkRun:
    wrk.run(url, _every_id(ids))  # not recorded
    return wrk.run(url, _saturating(ctx, ids))


def _paced(ctx: Context, url: str, ids: Path, rate: float) -> wrk.WrkRun:
    base = load(ctx)
    return wrk.run(url, wrk.Load(base.connections, base.seconds, "paced_paths.lua", (PREFIX, str(ids), f"{rate:.1f}")))


def _two_workers(ctx: Context, backend: Backend, database_url: str, ids: Path, one: wrk.WrkRun) -> Result:
    name = f"http.verify.{backend}"
    ctx.progress(f"wrk: random single verifications on {backend}, `serve --workers 2`, {CONNECTIONS} connections")
    with registry_server(ctx, f"verify-{backend}", database_url, workers=2) as server:
        label = f"  same, serve --workers 2 [{backend}]"
        return beside_one_worker(name, label, server, _saturating(ctx, ids), one, warm_up=_every_id(ids))


def _run(backend: Backend, ctx: Context) -> list[Result]:
    name = f"http.verify.{backend}"
    count = ctx.scale(10_000, 1_000)
    bare_rps(ctx), app_rps(ctx)  # measured first, on a quiet server
    with running_registry(ctx, backend, "verify") as registry:
        ctx.progress(f"loading {count:,} certificates on {backend} (not timed)")
        tokens = registry.issuer.credentials(0, count)
        submit_batches(registry.server, tokens)
        settle(registry.engine)
        ids = [certificate_id(token) for token in tokens]
        answer = get(registry.server, PREFIX + ids[0])
        if answer["decision"] != "valid" or not answer["signature"]["valid"]:
            raise AssertionError(f"a loaded certificate does not verify: {answer}")
        path = write_lines(ctx.workdir / f"verify-ids-{backend}.txt", (i.encode() for i in ids))
        ctx.progress(f"wrk: random single verifications on {backend}, {CONNECTIONS} connections")
        run = _saturate(ctx, registry.server.url, path)
        offered = run.requests_per_s * PACED_SHARE
        ctx.progress(f"wrk: paced single verifications on {backend}, {offered:,.0f} requests/s offered")
        paced = _paced(ctx, registry.server.url, path, offered)
        ctx.progress(f"one Ed25519 signature and one indexed read on {backend}, for the verification floor")
        floor = verification_floor(ctx, registry.engine, ids)
        if backend == "postgresql":  # the one-worker server stays up, idle, on the same database
            database_url = registry.engine.url.render_as_string(hide_password=False)
            workers = [_two_workers(ctx, backend, database_url, path, run)]
        else:
            workers = []
    note = f"{count:,} certificates, random ids; {run.summary()}"
    # wrk keeps every connection busy, so mean latency = connections ÷ throughput (Little's law).
    little = f"mean latency {run.mean_ms:.1f} ms ≈ {CONNECTIONS} connections ÷ {run.requests_per_s:,.0f} requests/s"
    paced_note = (
        f"offered {offered:,.0f} requests/s ({PACED_SHARE:g} of the maximum), served {paced.requests_per_s:,.0f}; "
        f"{paced.summary()}"
    )
    return [
        Result(
            name,
            f"single verification, {CONNECTIONS} conns [{backend}]",
            Quantity(run.requests_per_s, "requests/s"),
            floor,
            RATIO_TARGET,
            note,
        ),
        Result(
            name,
            f"  p99 at half the maximum, paced [{backend}]",
            Quantity(paced.p99_ms, "ms"),
            None,
            P99_TARGET,
            paced_note,
        ),
        Result(name, f"  p99 at saturation, {CONNECTIONS} conns [{backend}]", Quantity(run.p99_ms, "ms"), note=little),
        *workers,
    ]


def figures(backends: Sequence[Backend]) -> list[Figure]:
    return [
        Figure(
            f"http.verify.{backend}",
            f"GET /v1/verify/certificates/{{id}} requests/s on {backend}",
            partial(_run, backend),
        )
        for backend in backends
    ]
