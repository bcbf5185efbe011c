"""A whole catalogue end to end: `ecolabel-verify eligibility` against a real `serve` process.

The size is `BENCH_CATALOGUE_LINES` (default 20,000; 5,000 with --quick); the figure of record is
`BENCH_CATALOGUE_LINES=1000000 python -m benchmarks --only catalogue --backend sqlite`. The catalogue names a third
of its lines by certificate id, a third by programme + licence number and a third by GTIN (half of those with a
model), drawn at random from up to 100,000 certificates loaded through the batch endpoint (not timed). The command
runs as a separate process, as a buyer runs it: reading the CSV, sending chunks of its default size (5,000 lines),
verifying every signed answer and writing results and decisions. Items/s is lines over the command's whole wall
time. Peak memory is the client's (its `VmHWM`, read while it runs) and the server's (`VmHWM` of its one worker, a
process started on the loaded database for the run, its peak reset through `/proc/<pid>/clear_refs` just before it).
`ecolabel-verify decision DIR --catalogue FILE` then checks the chunk decisions and their coverage; its time is in
the note. The same catalogue is then checked against `serve --workers 2` with three requests in flight (a
measurement beside the figure, not a target: the two workers and the client share the two cores). The two
workers accept on one socket, and the client's three connections can all land on one of them: a run in which
one worker had under its fair share of the workers' CPU measured one worker, and is run again against a fresh
server, by the rule every two-worker figure follows (`benchmarks.http_workers`); the note gives the runs redone
and says if the last was lopsided still. A catalogue of at most one chunk (5,000 lines, so every --quick run)
is one request, which one worker judges however often it runs: it runs once, and the note says so.
The rate's limit column is the catalogue floor (`benchmarks.catalogue_floor`), measured after both runs on
the same database, catalogue and chunk decisions.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from itertools import count as counting
from operator import attrgetter
from pathlib import Path

from benchmarks import catalogue_floor, credentials, http_workers, processes
from benchmarks.credentials import Issuer
from benchmarks.databases import scratch_url, settle
from benchmarks.model import Backend, Context, Figure, Quantity, Result, Target
from benchmarks.registry_client import certificate_id, register, submit_batches
from benchmarks.servers import registry_server
from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.db.migrate import upgrade
from verification.client.catalogue_run import DEFAULT_CHUNK
from verification.ed25519 import public_key_bytes

LINES_ENV = "BENCH_CATALOGUE_LINES"
MAX_CERTIFICATES = 100_000
# Half of the catalogue floor, as the other rates are held to half of theirs. The absolute 50,000 items/s
# first asked for is above the floor itself on these machines (BENCHMARKS.md, the catalogue's figure).
RATE_TARGET = Target(bound=0.5, at_most=False, on_ratio=True)
MEMORY_TARGET = Target(bound=300, at_most=True)  # MB, server and client each
_VERIFY = str(Path(sys.executable).parent / "ecolabel-verify")
_DATE = "2026-06-01T00:00:00Z"
_MARKET = "IT"
# The body the command sends, but for its items (`ecolabel-verify eligibility --accept P:C --market IT`).
_REQUEST = {
    "requirement": {
        "equivalents": True,
        "markets": [_MARKET],
        "accepted": [{"programme": credentials.PROGRAMME, "category": credentials.CATEGORY}],
    },
    "date": _DATE,
}
_FLOOR_CREDENTIALS = 1_000  # a sample of the figure's credentials, verified in a loop for the floor


def lines_wanted(ctx: Context) -> int:
    given = os.environ.get(LINES_ENV, "")
    return int(given) if given else ctx.scale(20_000, 5_000)


def write_catalogue(path: Path, lines: int, ids: Sequence[str], seed: int = 1) -> int:
    """Write the catalogue; the number of distinct certificates its lines name."""
    rng = random.Random(seed)
    named: set[int] = set()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ref", "certificate_id", "programme", "licence_number", "gtin", "model"])
        for line in range(lines):
            number = rng.randrange(len(ids))
            named.add(number)
            way = line % 3
            if way == 0:
                writer.writerow([f"line-{line}", ids[number], "", "", "", ""])
            elif way == 1:
                writer.writerow([f"line-{line}", "", credentials.PROGRAMME, credentials.licence(number), "", ""])
            else:
                model = credentials.model(number) if number % 2 else ""
                writer.writerow([f"line-{line}", "", "", "", credentials.gtin(number), model])
    return len(named)


@dataclass(frozen=True)
class Ran:
    seconds: float  # wall
    cpu_s: float  # user + system, from the child's rusage
    peak_mb: float  # VmHWM, read while it ran
    output: str


def _run_command(arguments: list[str]) -> Ran:
    """Wall and CPU seconds, peak RSS and the output of one `ecolabel-verify` run, as a separate process.

    The peak is the child's own `VmHWM`, read while it runs (it only grows, so the last reading is the
    peak to within the polling interval). Its rusage `ru_maxrss` would not do: Linux carries the
    high-water mark of the memory image it had before `exec` (this harness's, forked), into it."""
    start = time.perf_counter()
    process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    peak = [0.0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.05):
            try:
                peak[0] = max(peak[0], processes.peak_mb(process.pid))
            except (OSError, RuntimeError):  # exited between two readings
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    stop.set()
    watcher.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments[:2])} exited with {process.returncode}:\n{output[-3000:]}")
    return Ran(seconds, usage.ru_utime + usage.ru_stime, peak[0], output)


def _settings(ctx: Context, backend: Backend) -> dict[str, str]:
    """Both servers share the registry's key; neither runs the periodic check of the tables against the
    log, which would replay the certificates just loaded inside the serving process (`integrity`)."""
    return {
        "ECOLABEL_SIGNING_KEY_PATH": str(ctx.workdir / f"catalogue-{backend}-signing-key.pem"),
        "ECOLABEL_FSCK_INTERVAL_S": "0",
        "ECOLABEL_FSCK_REPLICA_PATH": str(ctx.workdir / f"catalogue-{backend}-fsck.sqlite3"),
    }


def _run(backend: Backend, ctx: Context) -> list[Result]:
    lines = lines_wanted(ctx)
    count = min(MAX_CERTIFICATES, max(1_000, lines // 10))
    with scratch_url(ctx, backend) as url:
        upgrade(url)
        engine = build_engine(url, pool_size=2)
        try:
            with registry_server(ctx, f"catalogue-load-{backend}", url, _settings(ctx, backend)) as loader:
                ctx.progress(f"loading {count:,} certificates on {backend} (not timed)")
                issuer = Issuer()
                register(loader, issuer)
                tokens = issuer.credentials(0, count)
                submit_batches(loader, tokens)
                settle(engine)
                ids = [certificate_id(token) for token in tokens]
                sample = catalogue_floor.Sample(public_key_bytes(issuer.key), tokens[:_FLOOR_CREDENTIALS])
                del tokens
        finally:
            engine.dispose()
        work = ctx.workdir / f"catalogue-{backend}"
        work.mkdir()
        catalogue = work / "catalogue.csv"
        named = write_catalogue(catalogue, lines, ids)
        one = _serve_and_check(ctx, backend, url, catalogue, lines, workers=1)
        attempts = counting(1)

        def check_two() -> Served:
            return _serve_and_check(ctx, backend, url, catalogue, lines, workers=2, attempt=next(attempts))

        # A catalogue of one chunk is one request, which one worker judges wherever the connections land:
        # running it again cannot spread it, so it runs once and the note says it measured one worker.
        one_chunk = lines <= DEFAULT_CHUNK
        twos = [check_two()] if one_chunk else http_workers.runs_until_fair(check_two, _WORKER_CPU)
        two = twos[-1]
        ctx.progress(f"the catalogue floor on {backend}: first sight, rows and bytes, parse and encode")
        engine = build_engine(url, pool_size=2)
        try:
            floor = catalogue_floor.measure(
                engine, catalogue, work / "decisions-1", sample, request=_REQUEST, chunk_size=DEFAULT_CHUNK,
                chunk_count=ctx.scale(20, 4), certificates_per_line=named / lines, seconds=ctx.scale(2.0, 0.5),
            )  # fmt: skip
        finally:
            engine.dispose()
    rate = lines / one.ran.seconds
    size = catalogue.stat().st_size / 1e6
    assert one.check is not None
    note = (
        f"{lines:,} lines ({size:.0f} MB) over {count:,} certificates in {one.ran.seconds:.1f} s; CPU: client "
        f"{one.ran.cpu_s:.1f} s, server {one.server_cpu:.1f} s; `decision DIR --catalogue` {one.check.seconds:.1f} s "
        f"({one.check.cpu_s:.1f} s CPU), {one.check.peak_mb:.0f} MB; the limit is the catalogue floor, "
        f"{floor.per_line * 1e6:.1f} µs a line of one worker before it judges anything ({named:,} certificates "
        f"named, each verified once); {floor.cpu_note()}"
    )
    two_note = (
        f"{two.ran.seconds:.1f} s, --in-flight 3; CPU: client {two.ran.cpu_s:.1f} s, both workers "
        f"{two.server_cpu:.1f} s ({' + '.join(f'{cpu:.1f}' for cpu in two.worker_cpu)} s each); peaks: client "
        f"{two.ran.peak_mb:.0f} MB, each worker at most {two.server_mb:.0f} MB"
    )
    if one_chunk:
        two_note += (
            f"; {lines:,} lines are one request of {DEFAULT_CHUNK:,}, which one worker judged: it measured one worker"
        )
    else:
        two_note += http_workers.fairness_note(twos, _WORKER_CPU, partial(Served.rate_note, lines=lines))
    server_note = "peak since the run started" if one.server_reset else "peak since start (VmHWM not resettable here)"
    return [
        Result(f"catalogue.{backend}", f"catalogue end to end, {lines:,} lines [{backend}]",
               Quantity(rate, "items/s"), floor.limit(), target=RATE_TARGET, note=note),
        Result(f"catalogue.{backend}", f"catalogue: server peak memory [{backend}]",
               Quantity(one.server_mb, "MB"), target=MEMORY_TARGET, note=server_note),
        Result(f"catalogue.{backend}", f"catalogue: client peak memory [{backend}]",
               Quantity(one.ran.peak_mb, "MB"), target=MEMORY_TARGET, note="ecolabel-verify eligibility, its VmHWM"),
        Result(f"catalogue.{backend}", f"  same, serve --workers 2 [{backend}]",
               Quantity(lines / two.ran.seconds, "items/s"), note=two_note),
    ]  # fmt: skip


@dataclass(frozen=True)
class Served:
    ran: Ran
    worker_cpu: tuple[float, ...]  # each serving process's CPU seconds over the run
    server_mb: float  # the largest worker's peak
    server_reset: bool
    check: Ran | None  # `decision DIR --catalogue`, after the one-worker run

    @property
    def server_cpu(self) -> float:
        """Every serving process's CPU seconds over the run."""
        return sum(self.worker_cpu)

    def rate_note(self, lines: int) -> str:
        """A redone run as the note names it: "1,234 items/s (0.0 + 1.9 s CPU)"."""
        return f"{lines / self.ran.seconds:,.0f} items/s ({' + '.join(f'{cpu:.1f}' for cpu in self.worker_cpu)} s CPU)"


_WORKER_CPU = attrgetter("worker_cpu")  # what `http_workers.lopsided` judges of a run


def _serve_and_check(
    ctx: Context, backend: Backend, url: str, catalogue: Path, lines: int, *, workers: int, attempt: int = 1
) -> Served:
    """`ecolabel-verify eligibility` of the whole catalogue against a fresh `serve --workers N` (N + 1 requests
    in flight, so that every worker has a chunk to judge while the client checks the last answer). A run
    again (`attempt` > 1) gets a fresh server too, so that it starts as cold as the first, and files of its own."""
    work = catalogue.parent
    run = f"{workers}" if attempt == 1 else f"{workers}-{attempt}"
    with registry_server(ctx, f"catalogue-{backend}", url, _settings(ctx, backend), workers=workers) as server:
        serving = processes.serving(server.pid, workers)
        resets = [processes.reset_peak(pid) for pid in serving]  # every one, not up to the first refusal
        server_reset = all(resets)
        again = "" if attempt == 1 else f", run {attempt}"
        ctx.progress(f"ecolabel-verify eligibility: {lines:,} lines on {backend}, {workers} worker(s){again}")
        results, decisions = work / f"results-{run}.csv", work / f"decisions-{run}"
        command = [
            _VERIFY, "eligibility", str(catalogue), "--registry", server.url,
            "--accept", f"{credentials.PROGRAMME}:{credentials.CATEGORY}", "--market", _MARKET,
            "--date", _DATE, "--out", str(results), "--decisions", str(decisions),
            "--in-flight", str(workers + 1),
        ]  # fmt: skip
        before = [processes.cpu_s(pid) for pid in serving]
        ran = _run_command(command)
        worker_cpu = tuple(processes.cpu_s(pid) - start for pid, start in zip(serving, before, strict=True))
        server_mb = max(processes.peak_mb(pid) for pid in serving)
        if f"{lines:,} of {lines:,} items eligible" not in ran.output:
            raise AssertionError(f"expected every line eligible:\n{ran.output[-2000:]}")
        check = None
        if workers == 1:
            ctx.progress("ecolabel-verify decision: the chunk decisions and their coverage")
            check = _run_command(
                [_VERIFY, "decision", str(decisions), "--catalogue", str(catalogue), "--registry", server.url]
            )
    return Served(ran, worker_cpu, server_mb, server_reset, check)


def figures(backends: Sequence[Backend]) -> list[Figure]:
    return [
        Figure(
            f"catalogue.{backend}",
            f"ecolabel-verify eligibility of a whole catalogue ({LINES_ENV} lines) on {backend}",
            partial(_run, backend),
        )
        for backend in backends
    ]
