"""Machine limit for HTTP figures: requests/s (and p99) of a bare endpoint on the registry's server stack.

`benchmarks.bare_app` served by the registry's own `serve` command (one uvicorn worker), loaded by wrk
from a separate process with the same connections and duration as the figures compared with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks import wrk
from benchmarks.bare_app import ASYNC_PATH, PATH
from benchmarks.model import Backend, Context, Figure, Limit, Quantity, Result
from benchmarks.servers import bare_server

CONNECTIONS = 32
_HOW = f"bare FastAPI endpoint (async def), same uvicorn, {CONNECTIONS} conns"


def load(ctx: Context, connections: int = CONNECTIONS) -> wrk.Load:
    """The load every request/s figure uses, so that its ratio to this limit compares like with like."""
    return wrk.Load(connections=connections, seconds=ctx.scale(10.0, 1.0))


def _measure(ctx: Context) -> dict[str, wrk.WrkRun]:
    runs: dict[str, wrk.WrkRun] = {}
    with bare_server(ctx) as server:
        for kind, path in (("async", ASYNC_PATH), ("sync", PATH)):
            ctx.progress(f"wrk against the bare {kind} endpoint, {CONNECTIONS} connections")
            if not ctx.quick:  # a second of warm-up, not recorded
                wrk.run(server.url + path, wrk.Load(connections=CONNECTIONS, seconds=1.0))
            runs[kind] = wrk.run(server.url + path, load(ctx))
    return runs


def _bare_runs(ctx: Context) -> dict[str, wrk.WrkRun]:
    return ctx.shared("http.bare", lambda: _measure(ctx))


def bare_rps(ctx: Context) -> Limit:
    """The async endpoint's requests/s: the most a request can be served at on this stack."""
    return Limit(Quantity(_bare_runs(ctx)["async"].requests_per_s, "requests/s"), _HOW)


def bare_p99(ctx: Context) -> Limit:
    return Limit(Quantity(_bare_runs(ctx)["async"].p99_ms, "ms"), "p99, " + _HOW)


def _bare(ctx: Context) -> list[Result]:
    runs = _bare_runs(ctx)
    name = "machine.http.bare"
    sync = runs["sync"]
    return [
        Result(
            name, "bare endpoint, 32 connections", bare_rps(ctx).quantity, note=runs["async"].summary(), is_limit=True
        ),
        Result(name, "  same, p99 latency", bare_p99(ctx).quantity, is_limit=True),
        Result(
            name,
            "  a plain def (thread pool) instead",
            Quantity(sync.requests_per_s, "requests/s"),
            note=f"{sync.summary()}, p99 {sync.p99_ms:.1f} ms; for comparison only: the async endpoint is faster",
        ),
    ]


def figures(_backends: Sequence[Backend]) -> list[Figure]:
    return [Figure("machine.http.bare", "requests/s of a bare endpoint on the same server stack", _bare)]
