"""`serve --workers 2` beside one worker: the same saturation run against a second server on the same database.

The second server is `ecolabel-registry serve --workers 2` under the first one's name (so with the signing
key the log was written with) on the database the first one loaded, which stays up, idle, meanwhile.
`registry_server` returns once every worker has started, so no run begins with a worker still importing.
Both workers accept on one socket and the kernel chooses which one takes a connection, so a warm-up meant
for both (a cache each process fills on its first requests) is a wrk run of its own, not a few requests;
the row says how busy each worker was in the measured run (CPU seconds per second of it, from
/proc/<pid>/stat), which shows that both served, and a run in which one of them had nearly every
connection is run again (the note says how many runs it took). The two workers, the database and wrk share the machine's
2 vCPUs: the ratio is what a second process adds on this host, not on one with a core for each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from benchmarks import processes, wrk
from benchmarks.http_bare import CONNECTIONS
from benchmarks.model import Limit, Quantity, Result
from benchmarks.servers import Server

SHARED_VCPUS = "2 vCPUs shared by both workers, the database and wrk"
WARM_UP_S = 1.0
# wrk opens its connections in one burst, and the worker woken first may accept all of them (asyncio accepts
# until the queue is empty): a run where one worker had less than this share of the workers' CPU time measured
# one worker beside an idle one, and is run again, at most ATTEMPTS times in all (every two-worker figure).
FAIR_SHARE = 0.25
ATTEMPTS = 4


T = TypeVar("T")


def lopsided(cpu: Sequence[float]) -> bool:
    """Whether one of several workers' CPU over a run (`cpu`, one value each) fell under its fair share."""
    return len(cpu) > 1 and min(cpu) < FAIR_SHARE * sum(cpu)


def runs_until_fair(measure: Callable[[], T], cpu: Callable[[T], Sequence[float]]) -> list[T]:
    """`measure` run again while its last run was lopsided (`cpu` gives each worker's share of it), at most
    ATTEMPTS times: every run, the last the one reported."""
    runs = [measure()]
    while lopsided(cpu(runs[-1])) and len(runs) < ATTEMPTS:
        runs.append(measure())
    return runs


def fairness_note(runs: Sequence[T], cpu: Callable[[T], Sequence[float]], rate: Callable[[T], str]) -> str:
    """What a note says of `runs_until_fair`'s runs: those redone, and whether the last was lopsided still."""
    *redone, last = runs
    note = ""
    if redone:
        note += f"; redone after runs where one worker had nearly every connection: {', '.join(map(rate, redone))}"
    if lopsided(cpu(last)):
        note += "; one worker had nearly every connection in this run too: it measured about one worker"
    return note


def _busy(server: Server, load: wrk.Load) -> Callable[[], tuple[wrk.WrkRun, list[float]]]:
    """A run of `load` against the two workers, with each worker's CPU seconds per second of it."""
    pids = processes.serving(server.pid, 2)
    if len(pids) != 2:
        raise RuntimeError(f"expected two running workers in {server.log}, found {pids}")

    def measure() -> tuple[wrk.WrkRun, list[float]]:
        before = [processes.cpu_s(pid) for pid in pids]
        run = wrk.run(server.url, load)
        return run, [(processes.cpu_s(pid) - start) / run.seconds for pid, start in zip(pids, before, strict=True)]

    return measure


def beside_one_worker(figure: str, label: str, server: Server, load: wrk.Load, one: wrk.WrkRun) -> Result:
    """The row for `load` run against the two-worker `server` after a warm-up, beside `one`, the one-worker run."""
    # A short run at full concurrency, not recorded, so that every worker has answered before the measured one.
    wrk.run(server.url, wrk.Load(CONNECTIONS, WARM_UP_S, load.script, load.script_args))
    runs = runs_until_fair(_busy(server, load), lambda measured: measured[1])
    run, busy = runs[-1]
    fairness = fairness_note(
        runs, lambda measured: measured[1], lambda measured: f"{measured[0].requests_per_s:,.0f}/s"
    )
    return Result(
        figure,
        label,
        Quantity(run.requests_per_s, "requests/s"),
        Limit(Quantity(one.requests_per_s, "requests/s"), "the same with one worker, same run"),
        None,
        f"{run.summary()}, p99 {run.p99_ms:.1f} ms; workers busy {busy[0]:.2f} + {busy[1]:.2f} vCPU{fairness}; "
        f"{SHARED_VCPUS}",
    )
