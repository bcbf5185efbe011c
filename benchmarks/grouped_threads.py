"""Grouped single submissions served, thread by thread: CPU, context switches and waits for a CPU.

Not a figure: a tool for changes to the group-commit path (`certificates.sequencer`, `api.wakeups`), where
`http.ingest` gives the whole process's CPU a submission and `writer_group`, `check_group` and
`profile_submission` each stage's in process, and none says what the served threads cost each other. It
starts `ecolabel-registry serve` on a migrated scratch SQLite file (or PostgreSQL, `--backend`) as
`http.ingest` does, warms it with 300 sequential submissions and `--warm-up-s` of the grouped load, then
sends fresh credentials, each once (`post_bodies.lua`), on 32 connections for `--seconds`, and reads
`/proc/<pid>/task/<tid>/` before and after: per thread and per certificate stored, user and system CPU
(`stat`), voluntary and involuntary context switches (`status`), and from `schedstat` the time on a CPU
and the time runnable but waiting for one. A thread woken (its group's turn, the interpreter lock, a
socket) on a machine whose CPUs are busy waits there before it runs: on the 2 vCPUs wrk shares, that
wait, not the CPU, can set the pace.

Threads are named by role: the event loop is the process's main thread; the others are listed in the
order they started, which on SQLite is the lifespan's (`RegistryContext.start`): `wal-checkpoint`,
`group-checks`, `group-commit`. Any other thread (the pool's, for a duplicate's read) is listed by its
number. `--attach CMD` runs CMD with `-p <server pid>` over the timed run (e.g. `"perf trace -s"`,
`strace -c -f`) and prints the end of its output; `--pin CPUS` puts every server thread on those CPUs
(`taskset`) after the warm-up.

    .venv/bin/python -m benchmarks.grouped_threads --seconds 8
    .venv/bin/python -m benchmarks.grouped_threads --seconds 4 --attach "perf trace -s"
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from benchmarks import wrk
from benchmarks.databases import DEFAULT_POSTGRES_URL, normalise_postgres_url
from benchmarks.http_registry import running_registry, table_rows, write_lines, written
from benchmarks.model import Backend, Context
from benchmarks.registry_client import submit_one

CONNECTIONS = 32
WARM_UP_SEQUENTIAL = 300
SQLITE_THREADS = ("wal-checkpoint", "group-checks", "group-commit")


@dataclass(frozen=True)
class Reading:
    """What one thread has used so far."""

    user_s: float
    system_s: float
    voluntary: int
    involuntary: int
    on_cpu_s: float
    waiting_s: float  # runnable, waiting for a CPU

    def __sub__(self, before: Reading) -> Reading:
        return Reading(
            self.user_s - before.user_s,
            self.system_s - before.system_s,
            self.voluntary - before.voluntary,
            self.involuntary - before.involuntary,
            self.on_cpu_s - before.on_cpu_s,
            self.waiting_s - before.waiting_s,
        )


ZERO = Reading(0.0, 0.0, 0, 0, 0.0, 0.0)


def readings(pid: int) -> dict[int, Reading]:
    """Every thread of process `pid` now, by thread id (a thread that ended meanwhile is left out)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, Reading] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
            status = dict(line.split(":", 1) for line in (task / "status").read_text(encoding="ascii").splitlines())
            on_cpu_ns, waiting_ns, _slices = (int(n) for n in (task / "schedstat").read_text(encoding="ascii").split())
        except OSError:
            continue
        found[int(task.name)] = Reading(
            int(stat[11]) / tick,
            int(stat[12]) / tick,
            int(status["voluntary_ctxt_switches"]),
            int(status["nonvoluntary_ctxt_switches"]),
            on_cpu_ns / 1e9,
            waiting_ns / 1e9,
        )
    return found


def roles(pid: int, tids: list[int], backend: Backend) -> dict[int, str]:
    """The event loop is the main thread; the lifespan's threads on SQLite follow in the order they started."""
    named = {pid: "event loop"}
    others = sorted(tid for tid in tids if tid != pid)
    expected = SQLITE_THREADS if backend == "sqlite" else ("group-checks", "group-commit")
    for tid, name in zip(others, expected, strict=False):
        named[tid] = name
    return {tid: named.get(tid, f"thread {tid}") for tid in tids}


def report(used: dict[int, Reading], names: dict[int, str], stored: int, seconds: float) -> None:
    print(f"{'thread':<16}{'user':>8}{'system':>8}{'vol.':>7}{'invol.':>7}{'on CPU':>9}{'waiting':>9}")
    print(f"{'':<16}{'µs a certificate':>16}{'switches':>14}{'µs a certificate':>18}")
    total = ZERO
    for tid, reading in sorted(used.items(), key=lambda pair: -(pair[1].user_s + pair[1].system_s)):
        total = Reading(*(a + b for a, b in zip(vars(total).values(), vars(reading).values(), strict=True)))
        if reading.on_cpu_s == 0 and reading.voluntary == 0:
            continue
        print(_row(names[tid], reading, stored))
    print(_row("all", total, stored))
    cpu = total.user_s + total.system_s
    print(
        f"server CPU {cpu / stored * 1e6:,.0f} µs a certificate, {cpu / seconds:.2f} cores busy, "
        f"{total.system_s / cpu:.0%} in the kernel; runnable but waiting for a CPU {total.waiting_s / seconds:.2f} "
        "thread-seconds a second"
    )


def _row(name: str, r: Reading, stored: int) -> str:
    per = 1e6 / stored
    return (
        f"{name:<16}{r.user_s * per:8.1f}{r.system_s * per:8.1f}{r.voluntary / stored:7.2f}"
        f"{r.involuntary / stored:7.2f}{r.on_cpu_s * per:9.1f}{r.waiting_s * per:9.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warm-up-s", type=float, default=2.0)
    parser.add_argument("--rate", type=float, default=2_500.0, help="certificates/s to sign credentials for")
    parser.add_argument("--attach", default="", help="a command run with -p <server pid> over the timed run")
    parser.add_argument("--pin", default="", help="CPUs for every server thread after the warm-up (taskset -c)")
    args = parser.parse_args()
    backend: Backend = args.backend
    with tempfile.TemporaryDirectory(prefix="grouped-threads-") as workdir:
        ctx = Context(
            False,
            Path(workdir),
            normalise_postgres_url(os.environ.get("DATABASE_URL", DEFAULT_POSTGRES_URL)),
            lambda _: None,
        )
        with running_registry(ctx, backend, "grouped-threads") as registry:
            server, issuer, first = registry.server, registry.issuer, 0

            def bodies(name: str, count: int) -> Path:
                nonlocal first
                tokens = issuer.credentials(first, count)
                first += count
                return write_lines(ctx.workdir / name, (orjson.dumps({"credential": t}) for t in tokens))

            submit_one(server, issuer.credentials(10**8, WARM_UP_SEQUENTIAL))
            warm = bodies("warm-up.txt", int(args.rate * args.warm_up_s * 1.5))
            timed = bodies("timed.txt", int(args.rate * args.seconds * 1.5))
            load = wrk.Load(CONNECTIONS, args.warm_up_s, "post_bodies.lua", ("/v1/certificates", str(warm)), 120)
            wrk.run(server.url, load)
            if args.pin:
                subprocess.run(
                    ["taskset", "-a", "-p", "-c", args.pin, str(server.pid)], check=True, capture_output=True
                )
            rows, before = table_rows(registry), readings(server.pid)
            attached = None
            if args.attach:
                attached = subprocess.Popen(
                    [*args.attach.split(), "-p", str(server.pid)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                time.sleep(0.5)
            load = wrk.Load(CONNECTIONS, args.seconds, "post_bodies.lua", ("/v1/certificates", str(timed)), 120)
            run = wrk.run(server.url, load)
            after = readings(server.pid)
            if attached is not None:
                attached.send_signal(signal.SIGINT)
                attached_output = attached.communicate(timeout=60)[0]
            time.sleep(0.5)  # requests in flight when wrk stopped finish before the rows are counted
            counted = written(rows, table_rows(registry))
            stored, groups = counted.get("certificates", 0), counted.get("log_checkpoints", 0)
            print(f"{run.summary()}, {run.requests_per_s:,.0f} certificates/s; {stored:,} stored in {groups:,} groups")
            used = {tid: reading - before.get(tid, ZERO) for tid, reading in after.items()}
            report(used, roles(server.pid, list(after), backend), max(stored, 1), run.seconds)
            if attached is not None:
                print(attached_output[-8_000:])


if __name__ == "__main__":
    main()
