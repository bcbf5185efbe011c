"""Reads on a streaming replica: verification and recognition requests/s from the primary and from a standby.

One `serve` process with one read replica: a hot standby of the local cluster, made with
pg_basebackup as `ecolabel-registry layout --replica 1` makes it. The same wrk load runs twice per
endpoint: with `X-Min-Tree-Size` beyond any replica's log (every read goes to the primary), then
without it once the replica has caught up (every read goes to the replica; /metrics must count them
there). Each rate is shown beside the bare endpoint's on the same server stack. The two rates are the
per-database read capacity docs/DEPLOYMENT.md's sizing model starts from. On one machine the primary,
the standby, the server and wrk share the same cores, so the replica's rate measures what reading
from a standby costs, not the capacity a replica on its own server adds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import ExitStack

import httpx

from benchmarks import wrk
from benchmarks.credentials import CATEGORY, PROGRAMME
from benchmarks.databases import settle
from benchmarks.http_bare import CONNECTIONS, bare_rps, load
from benchmarks.http_registry import running_registry, write_lines
from benchmarks.model import Context, Figure, Quantity, Result, Unavailable
from benchmarks.registry_client import certificate_id, submit_batches
from ecolabel_registry.demo import standby

NAME = "http.replica.postgresql"
ON_PRIMARY = f"X-Min-Tree-Size: {2**63 - 1}"  # no replica holds that many entries: the primary answers
ENDPOINTS = {
    "verification": "/v1/verify/certificates/",
    "recognition": f"/v1/equivalence?accepted={PROGRAMME}:{CATEGORY}&certificate_id=",
}
CATCH_UP_S = 120


def _replica_reads(url: str) -> float:
    """Reads this server sent to a replica (not the primary), from its /metrics."""
    total = 0.0
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith("ecolabel_database_reads_total{") and 'database="primary"' not in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def _wait_for_replica(url: str) -> None:
    deadline = time.monotonic() + CATCH_UP_S
    while time.monotonic() < deadline:
        replicas = httpx.get(f"{url}/healthz", timeout=10).json()["replicas"]
        if replicas and all(r["in_rotation"] and r["tree_size_lag"] == 0 for r in replicas):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the replica did not catch up within {CATCH_UP_S} s: {replicas}")


def _run(ctx: Context) -> list[Result]:
    count = ctx.scale(10_000, 1_000)
    rps_limit = bare_rps(ctx)  # measured first, on a quiet server
    results: list[Result] = []
    with ExitStack() as standbys:

        def replicas(url: str) -> list[str]:
            try:
                cluster = standby.create_standby(url)
            except standby.StandbyError as exc:
                raise Unavailable(f"no hot standby on this machine: {exc}") from exc
            standbys.callback(cluster.remove)
            return [cluster.url(url.rsplit("/", 1)[1])]

        with running_registry(ctx, "postgresql", "replica", replicas) as registry:
            ctx.progress(f"loading {count:,} certificates (not timed)")
            tokens = registry.issuer.credentials(0, count)
            submit_batches(registry.server, tokens)
            settle(registry.engine)
            path = write_lines(ctx.workdir / "replica-ids.txt", (certificate_id(t).encode() for t in tokens))
            _wait_for_replica(registry.server.url)
            base = load(ctx)
            for kind, prefix in ENDPOINTS.items():
                rates = {}
                for where, headers in (("primary", (ON_PRIMARY,)), ("replica", ())):
                    ctx.progress(f"wrk: random {kind} reads from the {where}, {CONNECTIONS} connections")
                    served = _replica_reads(registry.server.url)
                    run = wrk.run(
                        registry.server.url,
                        wrk.Load(
                            base.connections, base.seconds, "random_paths.lua", (prefix, str(path)), headers=headers
                        ),
                    )
                    on_replica = _replica_reads(registry.server.url) - served
                    expected = run.requests if where == "replica" else 0
                    if on_replica < expected or (where == "primary" and on_replica):
                        raise AssertionError(f"{on_replica:.0f} of {run.requests} {kind} reads went to the replica")
                    rates[where] = run.requests_per_s
                    results.append(
                        Result(
                            NAME,
                            f"{kind} from the {where}, {CONNECTIONS} conns",
                            Quantity(run.requests_per_s, "requests/s"),
                            rps_limit,
                            None,  # a measurement for the sizing model, not a goal
                            f"{count:,} certificates, random ids; {run.summary()}"
                            + (
                                f"; {rates['replica'] / rates['primary']:.2f}x the primary's rate"
                                if where == "replica"
                                else ""
                            ),
                        )
                    )
    return results


def figures(backends: Sequence[str]) -> list[Figure]:
    if "postgresql" not in backends:
        return []
    return [Figure(NAME, "verification and recognition requests/s from the primary and from one replica", _run)]
