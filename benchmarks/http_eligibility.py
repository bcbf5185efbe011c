"""Bulk eligibility over HTTP: POST /v1/verify/eligibility with 10,000 catalogue lines per request.

Items/s on one worker, against the raw indexed-lookup rate of the same database: primary-key lookups
of whole certificate rows through SQLAlchemy Core, 500 ids per `IN` list, measured by the harness on
the loaded database just before wrk runs. Each request mixes the three ways to name an item (a third
each: certificate id, programme + licence number, GTIN with or without a model) over certificates
loaded through the batch endpoint (not timed); every item is eligible, so each one is fully judged.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

import orjson
from sqlalchemy import Engine, select

from benchmarks import credentials, wrk
from benchmarks.databases import settle
from benchmarks.http_registry import running_registry, write_lines
from benchmarks.model import Backend, Context, Figure, Limit, Quantity, Result, Target
from benchmarks.registry_client import certificate_id, post, submit_batches
from benchmarks.timing import NS_PER_S, per_second
from ecolabel_registry.certificates.repository import certificates

ITEMS = 10_000
TARGET = Target(bound=50_000, at_most=False)
CONNECTIONS = 2  # one request is parsed while the other is judged
LOOKUP_BATCH = 500
_BODIES = 3
PATH = "/v1/verify/eligibility"


def _item(line: int, number: int, ids: Sequence[str]) -> dict[str, Any]:
    item: dict[str, Any] = {"ref": f"line-{line}"}
    way = line % 3
    if way == 0:
        item["certificate_id"] = ids[number]
    elif way == 1:
        item["programme"], item["licence_number"] = credentials.PROGRAMME, credentials.licence(number)
    else:
        item["gtin"] = credentials.gtin(number)
        if number % 2:
            item["model"] = credentials.model(number)
    return item


def _body(rng: random.Random, ids: Sequence[str], size: int) -> bytes:
    requirement = {
        "accepted": [{"programme": credentials.PROGRAMME, "category": credentials.CATEGORY}],
        "markets": ["IT"],
    }
    items = [_item(line, rng.randrange(len(ids)), ids) for line in range(size)]
    return orjson.dumps({"requirement": requirement, "date": "2026-06-01T00:00:00Z", "items": items})


def lookup_limit(engine: Engine, ids: Sequence[str], seconds: float) -> Limit:
    """Whole certificate rows by primary key, `LOOKUP_BATCH` per query, on one connection, for `seconds`."""
    shuffled = list(ids)
    random.Random(7).shuffle(shuffled)
    found = 0
    with engine.connect() as connection:
        start = time.perf_counter_ns()
        while time.perf_counter_ns() - start < seconds * NS_PER_S:
            for offset in range(0, len(shuffled), LOOKUP_BATCH):
                query = select(certificates).where(certificates.c.id.in_(shuffled[offset : offset + LOOKUP_BATCH]))
                found += len(connection.execute(query).all())
        elapsed = time.perf_counter_ns() - start
    how = f"Core primary-key lookups of certificate rows, {LOOKUP_BATCH} per IN list"
    return Limit(Quantity(per_second(found, elapsed), "lookups/s"), how)


def _run(backend: Backend, ctx: Context) -> list[Result]:
    count, size = ctx.scale(10_000, 1_000), ctx.scale(ITEMS, 1_000)  # certificates loaded, items per request
    with running_registry(ctx, backend, "eligibility") as registry:
        ctx.progress(f"loading {count:,} certificates on {backend} (not timed)")
        tokens = registry.issuer.credentials(0, count)
        submit_batches(registry.server, tokens)
        settle(registry.engine)
        ids = [certificate_id(token) for token in tokens]
        rng = random.Random(count)
        bodies = [_body(rng, ids, size) for _ in range(_BODIES)]
        start = time.perf_counter_ns()
        answer = post(registry.server, PATH, bodies[0])  # also the warm-up
        request_s = (time.perf_counter_ns() - start) / NS_PER_S
        if answer["eligible"] != size:
            raise AssertionError(f"expected every item eligible, got {answer['eligible']} of {size}")
        ctx.progress(f"raw indexed lookups on {backend}")
        limit = lookup_limit(registry.engine, ids, ctx.scale(2.0, 0.5))
        path = write_lines(ctx.workdir / f"eligibility-{backend}.txt", bodies)
        seconds = wrk.seconds_for(ctx.scale(15.0, 1.0), request_s * CONNECTIONS, requests=ctx.scale(8, 3))
        ctx.progress(f"wrk: eligibility of {size:,} items per request on {backend}, {seconds:.0f} s")
        load = wrk.Load(CONNECTIONS, seconds, "post_cycle.lua", (PATH, str(path)), timeout_s=120)
        run = wrk.run(registry.server.url, load)
    note = f"{count:,} certificates; {run.summary()} ({size:,} items each), mean {run.mean_ms:.0f} ms"
    value = Quantity(run.requests_per_s * size, "items/s")
    label = f"bulk eligibility, {size:,} items/request, {CONNECTIONS} conns [{backend}]"
    return [Result(f"http.eligibility.{backend}", label, value, limit, TARGET, note)]


def figures(backends: Sequence[Backend]) -> list[Figure]:
    return [
        Figure(
            f"http.eligibility.{backend}", f"POST /v1/verify/eligibility items/s on {backend}", partial(_run, backend)
        )
        for backend in backends
    ]
