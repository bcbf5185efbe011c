"""Machine limit for HTTP figures: requests/s (and p99) of a bare endpoint on the registry's server stack.

`benchmarks.bare_app` served by the registry's own `serve` command (one uvicorn worker), loaded by wrk
from a separate process with the same connections and duration as the figures compared with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks import wrk
from benchmarks.bare_app import PATH
from benchmarks.model import Backend, Context, Figure, Limit, Quantity, Result
from benchmarks.servers import bare_server

CONNECTIONS = 32
_HOW = f"bare FastAPI endpoint, same uvicorn, {CONNECTIONS} conns"


def load(ctx: Context, connections: int = CONNECTIONS) -> wrk.Load:
    """The load every request/s figure uses, so that its ratio to this limit compares like with like."""
    return wrk.Load(connections=connections, seconds=ctx.scale(10.0, 1.0))


def _measure(ctx: Context) -> wrk.WrkRun:
    with bare_server(ctx) as server:
        ctx.progress(f"wrk against the bare endpoint, {CONNECTIONS} connections")
        if not ctx.quick:  # a second of warm-up, not recorded
            wrk.run(server.url + PATH, wrk.Load(connections=CONNECTIONS, seconds=1.0))
        return wrk.run(server.url + PATH, load(ctx))


def _bare_run(ctx: Context) -> wrk.WrkRun:
    return ctx.shared("http.bare", lambda: _measure(ctx))


def bare_rps(ctx: Context) -> Limit:
    return Limit(Quantity(_bare_run(ctx).requests_per_s, "requests/s"), _HOW)


def bare_p99(ctx: Context) -> Limit:
    return Limit(Quantity(_bare_run(ctx).p99_ms, "ms"), "p99, " + _HOW)


def _bare(ctx: Context) -> list[Result]:
    run = _bare_run(ctx)
    name = "machine.http.bare"
    return [
        Result(name, "bare endpoint, 32 connections", bare_rps(ctx).quantity, note=run.summary(), is_limit=True),
        Result(name, "  same, p99 latency", bare_p99(ctx).quantity, is_limit=True),
    ]


def figures(_backends: Sequence[Backend]) -> list[Figure]:
    return [Figure("machine.http.bare", "requests/s of a bare endpoint on the same server stack", _bare)]
