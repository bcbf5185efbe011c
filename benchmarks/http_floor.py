"""The app floor and the verification floor: the least a registry request, and a verification, can cost.

- **App floor** (`machine.http.app`): requests/s of a no-op `async def` route inside the registry's own
  application (`benchmarks.floor_app`: every middleware, the real lifespan, on a migrated scratch
  SQLite database the route never reads), wrk at 32 connections for as long as the bare endpoint's run.
  Printed beside the bare endpoint (`machine.http.bare`): the gap is what the stack costs per request.
- **Verification floor** = 1 / (t_app + t_sign + t_read): one app-floor request (1 / its requests/s),
  one Ed25519 signature (`limits.sign_seconds`) and one indexed read (a certificate by primary key, on
  its own pooled connection, on the verification figure's database), each measured in the same run.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from sqlalchemy import Engine, bindparam, select

from benchmarks import wrk
from benchmarks.databases import scratch_url
from benchmarks.floor_app import PATH
from benchmarks.http_bare import CONNECTIONS, bare_rps, load
from benchmarks.limits import sign_seconds
from benchmarks.model import Backend, Context, Figure, Limit, Quantity, Result
from benchmarks.servers import floor_server
from benchmarks.timing import NS_PER_S, sustained_rate
from ecolabel_registry.certificates.repository import certificates
from ecolabel_registry.db.engine import autocommit_connection
from ecolabel_registry.db.migrate import upgrade

NAME = "machine.http.app"
_HOW = f"no-op route in the registry's app, full middleware, {CONNECTIONS} conns"


def _measure(ctx: Context) -> wrk.WrkRun:
    bare_rps(ctx)  # the bare endpoint first, on a quiet machine, as every HTTP figure does
    with scratch_url(ctx, "sqlite") as url:
        upgrade(url)
        with floor_server(ctx, url) as server:
            ctx.progress(f"wrk against the no-op route in the registry's app, {CONNECTIONS} connections")
            if not ctx.quick:  # a second of warm-up, not recorded
                wrk.run(server.url + PATH, wrk.Load(connections=CONNECTIONS, seconds=1.0))
            return wrk.run(server.url + PATH, load(ctx))


def _app_run(ctx: Context) -> wrk.WrkRun:
    return ctx.shared("http.app", lambda: _measure(ctx))


def app_rps(ctx: Context) -> Limit:
    """The app floor: the no-op route's requests/s on the registry's full stack."""
    return Limit(Quantity(_app_run(ctx).requests_per_s, "requests/s"), _HOW)


def read_seconds(engine: Engine, ids: Sequence[str], seconds: float) -> float:
    """Seconds per primary-key read of a whole certificate row, each on its own pooled connection outside
    a transaction (as the single verification reads), over random ids, in a tight loop."""
    rng = random.Random(11)
    statement = select(certificates).where(certificates.c.id == bindparam("id"))  # built once, as the check's

    def read() -> None:
        with autocommit_connection(engine) as connection:
            connection.execute(statement, {"id": rng.choice(ids)}).one()

    return 1 / sustained_rate(read, seconds, batch=64)


def verification_floor(ctx: Context, engine: Engine, ids: Sequence[str]) -> Limit:
    """1 / (t_app + t_sign + t_read), each part measured now (the app floor once per run)."""
    t_app = 1 / app_rps(ctx).quantity.value
    t_sign = sign_seconds(ctx)
    t_read = read_seconds(engine, ids, ctx.scale(2.0, 0.5))
    parts = f"app {t_app * 1e6:,.0f} µs + sign {t_sign * 1e6:,.0f} µs + read {t_read * 1e6:,.0f} µs"
    return Limit(Quantity(1 / (t_app + t_sign + t_read), "requests/s"), f"verification floor: 1 / ({parts})")


def _app(ctx: Context) -> list[Result]:
    run = _app_run(ctx)
    bare = bare_rps(ctx)
    gap_us = (1 / run.requests_per_s - 1 / bare.quantity.value) * NS_PER_S / 1e3
    return [
        Result(
            NAME,
            f"app floor: no-op route, {CONNECTIONS} conns",
            app_rps(ctx).quantity,
            bare,
            note=f"{run.summary()}, p99 {run.p99_ms:.1f} ms; the stack costs {gap_us:,.0f} µs per request "
            "over the bare endpoint",
            is_limit=True,
        ),
    ]


def figures(_backends: Sequence[Backend]) -> list[Figure]:
    return [Figure(NAME, "requests/s of a no-op route in the registry's own app (the app floor)", _app)]
