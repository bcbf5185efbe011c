"""Recognition answers over HTTP: TRQP v2 recognition and authorization, and GET /v1/equivalence.

Requests/s at 32 connections, each as a ratio to the app floor (`machine.http.app`: a no-op route in the
registry's own app, with its full middleware, on the same server stack). The registry holds the demo world's
programmes, categories and agreements (all of them, with their events) and two certificates per category,
loaded through the registry's own write paths before the server starts (not timed). The questions are every
(recognised programme, recognising programme's category) pair the agreements' scopes name, asked both about
the programme and about one of its certificates, so the answers mix "accepted through an agreement" with
"not accepted" and with suspended or expired agreements, as the demo world has them.

On PostgreSQL each kind is also measured against `serve --workers 2` on the same database (a second server
under the first one's name, started with it; each is idle while the other is measured), right after the
one-worker run, and printed beside it with no target: requests/s, its ratio to one worker's, and how busy
each worker was (`benchmarks.http_workers`; the one-worker row says it of its worker too). Each process
compiles its own agreement graph on its first question; before any run every question is asked of both
servers, each on a connection of its own (so of either worker), and the two must give the same decisions,
reasons, paths and log state; the two-worker run then has a warm-up run of its own at full concurrency.
The two workers, the database and wrk share the 2 vCPUs. Not on SQLite: several processes on one SQLite
file is not a deployment the registry supports.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import httpx
import orjson
from sqlalchemy import select

from benchmarks import processes, wrk
from benchmarks.databases import scratch_url, settle
from benchmarks.http_bare import CONNECTIONS, load
from benchmarks.http_floor import app_rps
from benchmarks.http_registry import write_lines
from benchmarks.http_workers import beside_one_worker
from benchmarks.model import Backend, Context, Figure, Quantity, Result, Target
from benchmarks.servers import LOG_ORIGIN, Server, registry_server
from ecolabel_registry.app import build_context
from ecolabel_registry.certificates.repository import certificates
from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.db.migrate import upgrade
from ecolabel_registry.demo.loader import load as load_world_into
from ecolabel_registry.demo.spec import World, load_world
from ecolabel_registry.settings import Settings

TARGET = Target(bound=0.5, at_most=False, on_ratio=True)
CERTIFICATES_PER_CATEGORY = 2
_LABELS = {
    "recognition": "TRQP recognition",
    "authorization": "TRQP authorization",
    "equivalence": "GET /v1/equivalence",
}
_KINDS = tuple(_LABELS)
# What an answer decided and the log state it names; its other members say when it was asked.
_DECIDED = (
    "decision",
    "recognized",
    "authorized",
    "accepted",
    "reasons",
    "agreements",
    "path",
    "conditions",
    "judged_at",
    "evidence",
    "agreement_heads",
)


def _world() -> World:
    """The demo world's programmes and agreements, with few certificates and no supply chains."""
    data = load_world().model_dump(mode="json", by_alias=True)
    for programme in data["programmes"]:
        for category in programme["categories"]:
            category["certificates"] = CERTIFICATES_PER_CATEGORY
    data["organisations"], data["supply_links"], data["auditor_grants"] = [], [], []
    return World.model_validate(data)


def load_reduced_world(url: str, workdir: Path, name: str) -> tuple[World, dict[tuple[str, str], str]]:
    """The reduced demo world loaded into the migrated database at `url` through the registry's own write
    paths, with the signing key and admin token files `workdir/name-…` (the server's, see
    benchmarks.servers); with one certificate id per (programme, category)."""
    world = _world()
    settings = Settings(
        database_url=url,
        signing_key_path=workdir / f"{name}-signing-key.pem",
        admin_token_path=workdir / f"{name}-admin-token",
        log_origin=LOG_ORIGIN,
    )
    context = build_context(settings)
    try:
        load_world_into(context, world, workdir / "demo-keys", workers=1)
    finally:
        context.engine.dispose()
    engine = build_engine(url, pool_size=1)
    try:
        settle(engine)
        with engine.connect() as connection:
            rows = connection.execute(
                select(certificates.c.programme_id, certificates.c.category_code, certificates.c.id).order_by(
                    certificates.c.id
                )
            )
            ids = {(row.programme_id, row.category_code): row.id for row in rows}
    finally:
        engine.dispose()
    return world, ids


@dataclass(frozen=True)
class _DemoRegistry:
    """The reduced demo world on a scratch database, served by one worker and, on PostgreSQL, by two."""

    one: Server
    two: Server | None
    world: World
    ids: dict[tuple[str, str], str]  # one certificate id per (programme, category)


@contextmanager
def _demo_registry(ctx: Context, backend: Backend) -> Iterator[_DemoRegistry]:
    name = f"recognition-{backend}"
    with scratch_url(ctx, backend) as url, ExitStack() as servers:
        upgrade(url)
        ctx.progress(f"loading the demo world's agreements on {backend} (not timed)")
        world, ids = load_reduced_world(url, ctx.workdir, name)
        one = servers.enter_context(registry_server(ctx, name, url))
        # Several processes on one SQLite file is not a deployment the registry supports (`serve --help`).
        two = servers.enter_context(registry_server(ctx, name, url, workers=2)) if backend == "postgresql" else None
        yield _DemoRegistry(one, two, world, ids)


def questions(world: World) -> list[tuple[str, str, str]]:
    """(recognised programme, its category, recognising programme's category as `prog:code`), per scope mapping
    and in the reverse direction (often not recognised), without repeats."""
    found: dict[tuple[str, str, str], None] = {}
    for agreement in world.agreements:
        for mapping in agreement.scope:
            source, target = mapping.from_, mapping.to
            found[(source.programme, source.category, f"{target.programme}:{target.category}")] = None
            found[(target.programme, target.category, f"{source.programme}:{source.category}")] = None
    return list(found)


def trqp_bodies(questions: Sequence[tuple[str, str, str]], ids: dict[tuple[str, str], str], kind: str) -> list[bytes]:
    bodies = []
    for programme, category, target in questions:
        authority, code = target.split(":", 1)
        base = {"authority_id": authority, "action": "recognize", "resource": code}
        if kind == "recognition":
            body = {**base, "entity_id": programme, "context": {"category": category}}
        else:
            body = {**base, "entity_id": ids[(programme, category)]}
        bodies.append(orjson.dumps(body))
    return bodies


def equivalence_paths(questions: Sequence[tuple[str, str, str]], ids: dict[tuple[str, str], str]) -> list[bytes]:
    paths = []
    for index, (programme, category, target) in enumerate(questions):
        subject = (
            {"certificate_id": ids[(programme, category)]}
            if index % 2
            else {"programme": programme, "category": category}
        )
        paths.append(urllib.parse.urlencode({**subject, "accepted": target}).encode())
    return paths


def _answer(server: Server, kind: str, line: bytes) -> dict[str, object]:
    """What the answer decided, and from which log state (not when it was asked); on a connection of its
    own, which with several workers may be any of them. Any answer but a 200 is an error."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        if kind == "equivalence":
            response = client.get("/v1/equivalence?" + line.decode())
        else:
            response = client.post(f"/trqp/v2/{kind}", content=line, headers={"Content-Type": "application/json"})
    if response.status_code != 200:
        raise RuntimeError(f"{kind}: {response.status_code} {response.text[:500]}")
    answer = response.json()
    return {key: answer.get(key) for key in _DECIDED}


def _check(registry: _DemoRegistry, kind: str, lines: Sequence[bytes]) -> None:
    """Every question answered by one worker and, on PostgreSQL, by two, with the same decisions: each
    process compiles the agreement graph on its first question, and must reach what the other did."""
    for line in lines:
        expected = _answer(registry.one, kind, line)
        if registry.two is not None and (found := _answer(registry.two, kind, line)) != expected:
            raise RuntimeError(f"{kind}: two workers answered {found}, one worker {expected}, to {line!r}")


def _lines(registry: _DemoRegistry, kind: str) -> list[bytes]:
    asked = questions(registry.world)
    if kind == "equivalence":
        return equivalence_paths(asked, registry.ids)
    return trqp_bodies(asked, registry.ids, kind)


def _load(ctx: Context, kind: str, lines: Path) -> wrk.Load:
    base = load(ctx)
    if kind == "equivalence":
        return wrk.Load(base.connections, base.seconds, "random_paths.lua", ("/v1/equivalence?", str(lines)))
    return wrk.Load(base.connections, base.seconds, "post_cycle.lua", (f"/trqp/v2/{kind}", str(lines)))


def _run(backend: Backend, ctx: Context) -> list[Result]:
    name = f"http.recognition.{backend}"
    limit = app_rps(ctx)  # measured first, on a quiet server
    results = []
    with _demo_registry(ctx, backend) as registry:
        asked = len(questions(registry.world))
        for kind in _KINDS:
            lines = _lines(registry, kind)
            _check(registry, kind, lines)
            measured = _load(ctx, kind, write_lines(ctx.workdir / f"{kind}-{backend}.txt", lines))
            ctx.progress(f"wrk: {kind} questions on {backend}, {CONNECTIONS} connections")
            if not ctx.quick:  # a second of warm-up, not recorded
                wrk.run(registry.one.url, replace(measured, seconds=1.0))
            before = processes.cpu_s(registry.one.pid)
            run = wrk.run(registry.one.url, measured)
            busy = (processes.cpu_s(registry.one.pid) - before) / run.seconds
            note = f"{asked} questions over {len(registry.world.agreements)} agreements; {run.summary()}"
            results.append(
                Result(
                    name,
                    f"{_LABELS[kind]}, {CONNECTIONS} conns [{backend}]",
                    Quantity(run.requests_per_s, "requests/s"),
                    limit,
                    TARGET,
                    note + f", p99 {run.p99_ms:.1f} ms; worker busy {busy:.2f} vCPU",
                )
            )
            if registry.two is not None:
                ctx.progress(f"wrk: {kind} questions on {backend}, `serve --workers 2`, {CONNECTIONS} connections")
                label = f"  same, serve --workers 2 [{backend}]"
                results.append(beside_one_worker(name, label, registry.two, measured, run))
    return results


def figures(backends: Sequence[Backend]) -> list[Figure]:
    return [
        Figure(
            f"http.recognition.{backend}",
            f"TRQP recognition/authorization and /v1/equivalence requests/s on {backend}",
            partial(_run, backend),
        )
        for backend in backends
    ]
