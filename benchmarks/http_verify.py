"""Single verification over HTTP: GET /v1/verify/certificates/{id} on a registry of ~10,000 certificates.

Requests/s at 32 connections against the bare endpoint's requests/s at 32 connections on the same
server stack (`machine.http.bare`), and p99 latency from wrk's distribution. The ids are drawn at random
by the Lua script from every certificate loaded (through the batch endpoint, not timed).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from benchmarks import wrk
from benchmarks.databases import settle
from benchmarks.http_bare import CONNECTIONS, bare_p99, bare_rps, load
from benchmarks.http_registry import running_registry, write_lines
from benchmarks.model import Backend, Context, Figure, Quantity, Result, Target
from benchmarks.registry_client import certificate_id, get, submit_batches

RATIO_TARGET = Target(bound=0.6, at_most=False, on_ratio=True)
P99_TARGET = Target(bound=10.0, at_most=True)
PREFIX = "/v1/verify/certificates/"


def _run(backend: Backend, ctx: Context) -> list[Result]:
    name = f"http.verify.{backend}"
    count = ctx.scale(10_000, 1_000)
    rps_limit, p99_limit = bare_rps(ctx), bare_p99(ctx)  # measured first, on a quiet server
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
        base = load(ctx)
        ctx.progress(f"wrk: random single verifications on {backend}, {CONNECTIONS} connections")
        if not ctx.quick:  # a second of warm-up, not recorded (loading the certificates warmed it too)
            wrk.run(registry.server.url, wrk.Load(CONNECTIONS, 1.0, "random_paths.lua", (PREFIX, str(path))))
        run = wrk.run(
            registry.server.url, wrk.Load(base.connections, base.seconds, "random_paths.lua", (PREFIX, str(path)))
        )
    note = f"{count:,} certificates, random ids; {run.summary()}"
    # wrk keeps every connection busy, so mean latency = connections ÷ throughput (Little's law): p99 can
    # only be under 10 ms at 32 connections if the server answers over 3,200 requests/s.
    floor = f"mean latency {run.mean_ms:.1f} ms ≈ {CONNECTIONS} connections ÷ {run.requests_per_s:,.0f} requests/s"
    return [
        Result(
            name,
            f"single verification, {CONNECTIONS} conns [{backend}]",
            Quantity(run.requests_per_s, "requests/s"),
            rps_limit,
            RATIO_TARGET,
            note,
        ),
        Result(name, f"  same, p99 latency [{backend}]", Quantity(run.p99_ms, "ms"), p99_limit, P99_TARGET, floor),
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
