"""Certificate ingest over HTTP: POST /v1/certificates (one per request) and /batch (1,000 per request).

Certificates/s are compared with the **ingest floor**, the two things every certificate needs, one
Ed25519 verification and its rows written, done one after the other:

    floor = 1 / (t_verify + rows written per certificate * t_row)

One certificate per request is also measured at 32 connections against the batch rate of the same run:
concurrent single submissions are logged in groups (`ecolabel_registry.certificates.sequencer`), so they
should come within half of it; the same load with group commit off (`ECOLABEL_GROUP_COMMIT_MAX_ITEMS=0`,
a second server) is reported beside it.

Beside the grouped row, without a target, the same 32-connection load against a fresh `serve --workers 2`
on the same database (the one-worker server stays up, idle): each worker runs its own sequencer and the
two take the log lock one after the other. Its ratio is to the batch rate of one worker measured above;
its note gives both workers' CPU together (a certificate, and cores busy, each worker's share). One
second of the same load, untimed, first reaches both workers; its rate (or the one-worker rate, the
higher) sizes the timed run, which lasts as long as the one-worker grouped run. Stored must equal
completed there too: nothing acknowledged is missing from the database. The workers share one listening
socket, and on a busy machine the one running when wrk opens its 32 connections can accept them all: a
worker under a quarter of the workers' CPU means the run measured about one worker (`http_workers.lopsided`,
as for every two-worker figure): it is run again with new connections, up to four runs, and the note gives
the runs repeated and says if the last is so too.

t_verify and t_row are 1 / the raw rates measured in this run (`machine.ed25519`;
`machine.insert.<backend>` at 1,000 rows per transaction) and the rows are counted in the database
after the timed run (log entry, tree nodes, checkpoint, certificate, product, holder id, plus one
log-head update per request). Credentials are signed before the clock starts and each is sent once (a
resent one would be a cheap duplicate). An untimed warm-up through httpx sizes the pool of credentials
(several times what the server took in the warm-up) and the run's length (enough for several requests
per connection).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import orjson

from benchmarks import http_workers, processes, wrk
from benchmarks.http_bare import bare_rps
from benchmarks.http_floor import app_rps
from benchmarks.http_registry import Registry, running_registry, table_rows, write_lines, written
from benchmarks.limits import RAW_BATCH, ed25519_limit, insert_limit
from benchmarks.model import Backend, Context, Figure, Limit, Quantity, Result, Target
from benchmarks.registry_client import BATCH, submit_batches, submit_one
from benchmarks.servers import Server, registry_server
from benchmarks.timing import per_second

BATCH_TARGET = Target(bound=0.6, at_most=False, on_ratio=True)
SINGLE_TARGET = Target(bound=0.5, at_most=False, on_ratio=True)
GROUP_TARGET = Target(bound=0.5, at_most=False, on_ratio=True)  # of the batch rate
SINGLE_CONNECTIONS = 8
GROUP_CONNECTIONS = 32
BATCH_CONNECTIONS = 2  # one batch is verified while the other waits for its commit
NO_GROUP_COMMIT = {"ECOLABEL_GROUP_COMMIT_MAX_ITEMS": "0"}
# The warm-up is sequential, so it never forms a group: concurrent requests, logged in groups, ran up to
# 20 times its rate, and a run that exhausts its credentials is an error (post_bodies.lua).
GROUPED_HEADROOM = 30.0


@dataclass(frozen=True)
class Mode:
    path: str
    per_request: int
    connections: int
    headroom: float  # credentials signed = warm-up rate x run seconds x headroom
    target: Target | None
    versus_batch: bool = False  # the limit is the batch rate measured in this run, not the machine's
    grouped: bool = True  # group commit on (the server's default)

    @property
    def label(self) -> str:
        if self.per_request == 1:
            grouping = "" if not self.versus_batch else ", group commit" if self.grouped else ", group commit off"
            return f"1 per request, {self.connections} conns{grouping}"
        return f"batches of {self.per_request:,}, {self.connections} conns"

    def body(self, tokens: Sequence[str]) -> bytes:
        if self.per_request == 1:
            return orjson.dumps({"credential": tokens[0]})
        return orjson.dumps({"credentials": list(tokens)})


def _modes(ctx: Context) -> list[Mode]:
    batch = ctx.scale(BATCH, 200)  # --quick: smaller batches, so that a short run still completes several
    return [
        Mode("/v1/certificates/batch", batch, BATCH_CONNECTIONS, 2.5, BATCH_TARGET),
        Mode("/v1/certificates", 1, SINGLE_CONNECTIONS, GROUPED_HEADROOM, SINGLE_TARGET),
        Mode("/v1/certificates", 1, GROUP_CONNECTIONS, GROUPED_HEADROOM, GROUP_TARGET, versus_batch=True),
    ]


# The 32-connection load on a server with group commit off: the figure group commit is judged against.
UNGROUPED = Mode("/v1/certificates", 1, GROUP_CONNECTIONS, 8.0, None, versus_batch=True, grouped=False)
# The 32-connection grouped load on `serve --workers 2`: sized from a concurrent warm-up, not a sequential one.
WORKERS = 2
WORKERS_GROUPED = Mode("/v1/certificates", 1, GROUP_CONNECTIONS, 3.0, None, versus_batch=True)
WORKERS_WARM_UP_S = 1.0


@dataclass
class Numbers:
    """Credential numbers handed out once each, so that no credential is ever signed twice."""

    next: int = 0

    def take(self, amount: int) -> int:
        first, self.next = self.next, self.next + amount
        return first


@dataclass(frozen=True)
class Served:
    """A server under load and the processes that serve it (its workers, or the one process)."""

    server: Server
    serving: tuple[int, ...]


@dataclass(frozen=True)
class Measured:
    run: wrk.WrkRun
    per_request: int
    stored: int  # certificates in the database after the run, in-flight requests included
    rows: dict[str, int]  # rows written per table during the timed run
    workers: tuple[processes.Usage, ...]  # what each serving process used over the timed run, every thread

    @property
    def server(self) -> processes.Usage:
        """Every serving process's usage together."""
        return sum(self.workers[1:], self.workers[0])

    def workers_cpu(self) -> list[float]:
        """Each serving process's CPU seconds over the run."""
        return [worker.cpu_s for worker in self.workers]

    @property
    def cpu_per_certificate_s(self) -> float:
        return self.server.cpu_s / self.stored

    def cores_each(self) -> str:
        """Each serving process's cores busy over the run, "0.41 + 0.34"."""
        return " + ".join(f"{worker.cpu_s / self.run.seconds:.2f}" for worker in self.workers)

    def cpu_note(self) -> str:
        cores = self.server.cpu_s / self.run.seconds
        system = self.server.system_s / self.server.cpu_s if self.server.cpu_s else 0.0
        switches = self.server.switches / self.stored
        whose = "server CPU"
        if len(self.workers) > 1:
            whose, cores_text = f"{len(self.workers)} workers' CPU", f"{cores:.2f} cores busy, {self.cores_each()}"
        else:
            cores_text = f"{cores:.2f} cores busy"
        return (
            f"{whose} {self.cpu_per_certificate_s * 1e6:,.0f} µs a certificate ({cores_text}, "
            f"{system:.0%} of it in the kernel; {switches:.1f} context switches a certificate)"
        )

    @property
    def certificates_per_s(self) -> float:
        return self.run.requests_per_s * self.per_request

    @property
    def transactions(self) -> int:
        """Each append signs one checkpoint and updates the log head row once (a group commit: one per group)."""
        return self.rows.get("log_checkpoints", self.stored // self.per_request)

    @property
    def rows_per_certificate(self) -> float:
        return (sum(self.rows.values()) + self.transactions) / self.stored

    def breakdown(self) -> str:
        tables = ", ".join(f"{table} {n / self.stored:.2f}" for table, n in sorted(self.rows.items()))
        return f"{tables}, log_state update {self.transactions / self.stored:.3g}"


def _warm_up(registry: Registry, mode: Mode, numbers: Numbers, ctx: Context) -> float:
    """Certificates/s of an untimed sequential warm-up (it also fills the server's caches and pools)."""
    amount = 2 * mode.per_request if mode.per_request > 1 else ctx.scale(300, 50)
    tokens = registry.issuer.credentials(numbers.take(amount), amount)
    start = time.perf_counter_ns()
    if mode.per_request > 1:
        submit_batches(registry.server, tokens, mode.per_request)
    else:
        submit_one(registry.server, tokens)
    return per_second(amount, time.perf_counter_ns() - start)


def _measure(registry: Registry, mode: Mode, ctx: Context, numbers: Numbers) -> Measured:
    rate = _warm_up(registry, mode, numbers, ctx)
    request_s = mode.per_request / rate * mode.connections
    seconds = wrk.seconds_for(ctx.scale(10.0, 1.0), request_s, requests=ctx.scale(8, 3))
    count = max(4, math.ceil(rate * seconds * mode.headroom / mode.per_request)) * mode.per_request
    ctx.progress(f"  signing {count:,} credentials (the warm-up ran at {rate:,.0f}/s)")
    on = Served(registry.server, (registry.server.pid,))
    return _timed(registry, mode, ctx, numbers, on=on, count=count, seconds=seconds)


def _timed(
    registry: Registry, mode: Mode, ctx: Context, numbers: Numbers, *, on: Served, count: int, seconds: float
) -> Measured:
    """`count` fresh credentials, `mode.connections` at a time for `seconds`, against a server on the
    registry's database; then what was stored, counted there."""
    tokens = registry.issuer.credentials(numbers.take(count), count)
    bodies = (mode.body(tokens[i : i + mode.per_request]) for i in range(0, count, mode.per_request))
    path = write_lines(ctx.workdir / f"ingest-{registry.backend}-{mode.per_request}.txt", bodies)
    del tokens
    before = table_rows(registry)
    ctx.progress(f"  wrk: {mode.label}, {seconds:.0f} s")
    load = wrk.Load(mode.connections, seconds, "post_bodies.lua", (mode.path, str(path)), timeout_s=120)
    before_run = [processes.usage(pid) for pid in on.serving]
    run = wrk.run(on.server.url, load)
    time.sleep(0.5)  # requests in flight when wrk stopped finish before the rows are counted
    used = tuple(processes.usage(pid) - before for pid, before in zip(on.serving, before_run, strict=True))
    rows = written(before, table_rows(registry))
    stored = rows.get("certificates", 0)
    completed = run.requests * mode.per_request
    if not completed <= stored <= completed + mode.connections * mode.per_request:
        raise AssertionError(f"wrk completed {completed:,} certificates but {stored:,} were stored")
    return Measured(run, mode.per_request, stored, rows, used)


def _two_workers(registry: Registry, ctx: Context, numbers: Numbers, one: Measured) -> list[Measured]:
    """The grouped load against a fresh `serve --workers 2` on the same database (same settings and
    signing key); the one-worker server stays up, idle. A run that left one worker nearly idle is
    repeated, up to `http_workers.ATTEMPTS` runs: every run, the last the one reported."""
    mode = WORKERS_GROUPED
    database_url = registry.engine.url.render_as_string(hide_password=False)
    ctx.progress(f"certificate ingest on {registry.backend}, {mode.label}, serve --workers {WORKERS}")
    with registry_server(ctx, f"ingest-{registry.backend}", database_url, workers=WORKERS) as server:
        on = Served(server, tuple(processes.serving(server.pid, WORKERS)))
        # A sequential warm-up would reach one worker over one kept-alive connection: this one reaches both,
        # and forms groups as the timed run does.
        warm_count = math.ceil(one.certificates_per_s * WORKERS_WARM_UP_S * 2 * WORKERS)
        warm = _timed(registry, mode, ctx, numbers, on=on, count=warm_count, seconds=WORKERS_WARM_UP_S)
        rate = max(warm.certificates_per_s, one.certificates_per_s)
        count = math.ceil(rate * one.run.seconds * mode.headroom)
        ctx.progress(f"  signing {count:,} credentials (the warm-up ran at {warm.certificates_per_s:,.0f}/s)")
        timed = partial(_timed, registry, mode, ctx, numbers, on=on, count=count, seconds=one.run.seconds)
        return http_workers.runs_until_fair(timed, Measured.workers_cpu)


def ingest_floor(ctx: Context, backend: Backend, rows_per_certificate: float) -> Limit:
    """1 / (t_verify + rows * t_row): one Ed25519 verification, then the certificate's rows at the batched
    raw insert rate, one after the other (on one core the two do not overlap)."""
    t_verify = 1 / ed25519_limit(ctx).quantity.value
    t_row = 1 / insert_limit(ctx, backend, RAW_BATCH).quantity.value
    value = 1 / (t_verify + rows_per_certificate * t_row)
    how = (
        f"ingest floor: 1 / (verify {t_verify * 1e6:,.0f} µs + {rows_per_certificate:.2f} rows * {t_row * 1e6:.1f} µs)"
    )
    return Limit(Quantity(value, "certificates/s"), how)


def single_floor_note(ctx: Context, batch: Measured, single: Measured) -> str:
    """What one certificate a request can at best reach on one core: one app-floor request (the stack every
    request crosses) plus one batched certificate's server CPU (its checks and writes, every thread's), one
    after the other. One worker's event loop, checks and writer share one interpreter lock, so the grouped
    rate is bounded by about one core's worth of this work; beside it, where half the batch rate falls."""
    t_app = 1 / app_rps(ctx).quantity.value
    floor = 1 / (t_app + batch.cpu_per_certificate_s)
    half = batch.certificates_per_s / 2
    return (
        f"one-request floor 1 / (app {t_app * 1e6:,.0f} µs + a batched certificate's server CPU "
        f"{batch.cpu_per_certificate_s * 1e6:,.0f} µs) = {floor:,.0f} certificates/s on one core: this rate is "
        f"{single.certificates_per_s / floor:.2f} of it, half the batch rate {half / floor:.2f} of it"
    )


def _run(backend: Backend, ctx: Context) -> list[Result]:
    name = f"http.ingest.{backend}"
    results: list[Result] = []
    numbers = Numbers()
    batches: list[Measured] = []
    grouped: list[Measured] = []

    def measure(registry: Registry, mode: Mode) -> None:
        ctx.progress(f"certificate ingest on {backend}, {mode.label}")
        report(mode, _measure(registry, mode, ctx, numbers))

    def report(mode: Mode, measured: Measured, fairness: str = "") -> None:
        workers = len(measured.workers)
        rows = f"{measured.rows_per_certificate:.2f} rows written per certificate ({measured.breakdown()})"
        note = f"{measured.run.summary()}; {rows}; {measured.cpu_note()}"
        if mode.per_request == 1 and not mode.versus_batch:
            note += f"; the bare endpoint did {bare_rps(ctx).quantity.value:,.0f} requests/s"
        value = Quantity(measured.certificates_per_s, "certificates/s")
        if mode.per_request > 1:
            batches.append(measured)
        if workers > 1:
            note += (
                f"; the limit is one worker's batch rate; one worker's grouped rate was "
                f"{grouped[0].certificates_per_s:,.0f} certificates/s; 2 vCPUs shared by both workers, the "
                "database and wrk" + fairness
            )
            limit = Limit(Quantity(batches[0].certificates_per_s, "certificates/s"), "the batch rate, one worker")
        elif mode.versus_batch:
            note += f"; {single_floor_note(ctx, batches[0], measured)}"
            limit = Limit(Quantity(batches[0].certificates_per_s, "certificates/s"), "the batch rate measured above")
            if mode.grouped:
                grouped.append(measured)
        else:
            limit = ingest_floor(ctx, backend, measured.rows_per_certificate)
        served = "" if workers == 1 else f", serve --workers {workers}"
        label = f"certificate ingest, {mode.label}{served} [{backend}]"
        results.append(Result(name, label, value, limit, mode.target, note))

    # The limits first (each measured once per run), while no server competes for the CPUs.
    ed25519_limit(ctx), insert_limit(ctx, backend, RAW_BATCH), bare_rps(ctx), app_rps(ctx)
    with running_registry(ctx, backend, "ingest") as registry:
        for mode in _modes(ctx):
            measure(registry, mode)
        runs = _two_workers(registry, ctx, numbers, grouped[0])
        fairness = http_workers.fairness_note(
            runs, Measured.workers_cpu, lambda run: f"{run.certificates_per_s:,.0f}/s ({run.cores_each()} cores)"
        )
        report(WORKERS_GROUPED, runs[-1], fairness)
    with running_registry(ctx, backend, "ingest-ungrouped", settings=NO_GROUP_COMMIT) as registry:
        measure(registry, UNGROUPED)
    return results


def figures(backends: Sequence[Backend]) -> list[Figure]:
    return [
        Figure(
            f"http.ingest.{backend}",
            f"POST /v1/certificates(/batch) certificates/s on {backend}",
            partial(_run, backend),
        )
        for backend in backends
    ]
