"""`serve --workers 2` beside one worker: the same saturation run against a second server on the same database.

The second server is `ecolabel-registry serve --workers 2` under the first one's name (so with the signing
key the log was written with) on the database the first one loaded, which stays up, idle, meanwhile.
`registry_server` returns once every worker has started, so no run begins with a worker still importing.
Both workers accept on one socket and the kernel chooses which one takes a connection, so a warm-up meant
for both (a cache each process fills on its first requests) is a wrk run of its own, not a few requests.
Where those caches are per id (a verification's proof nodes and credential, `http.verify`, whose
docstring gives the figures), a second of random ids fills a fraction of them and every redone run below
fills more, so a run's rate follows how many went before: such a figure warms with passes over every id
instead (`warm_every_worker`). The row says how busy each worker was in
the measured run (CPU seconds per second of it, from /proc/<pid>/stat), which shows that both served,
and a run in which one of them had nearly every connection is run again (the note says how many runs it
took). The two workers, the database and wrk share the machine's 2 vCPUs: the ratio is what a second
process adds on this host, not on one with a core for each.
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
# A warm-up pass over every id (`warm_every_worker`) is repeated until no worker has, by its share of each
# pass, missed more than this share of the ids; at most WARM_UP_PASSES passes (a worker starved in each).
UNCOVERED = 0.05
WARM_UP_PASSES = 8


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


def _workers(server: Server) -> list[int]:
    pids = processes.serving(server.pid, 2)
    if len(pids) != 2:
        raise RuntimeError(f"expected two running workers in {server.log}, found {pids}")
    return pids


def _busy(url: str, pids: Sequence[int], load: wrk.Load) -> Callable[[], tuple[wrk.WrkRun, list[float]]]:
    """A run of `load` against the workers `pids`, with each worker's CPU seconds per second of it."""

    def measure() -> tuple[wrk.WrkRun, list[float]]:
        before = [processes.cpu_s(pid) for pid in pids]
        run = wrk.run(url, load)
        return run, [(processes.cpu_s(pid) - start) / run.seconds for pid, start in zip(pids, before, strict=True)]

    return measure


def warm_every_worker(url: str, pids: Sequence[int], one_pass: wrk.Load) -> int:
    """Run `one_pass` (every id once, `sequential_paths.lua`) until each worker has probably had all but
    UNCOVERED of the ids; the passes run. The kernel gives each connection to one worker, so a worker gets
    about its share of the workers' CPU of a pass and misses each id with the rest (a colder worker's
    share reads a little high, as its requests cost more: the first pass only)."""
    missed = [1.0] * len(pids)
    passes = 0
    while max(missed) > UNCOVERED and passes < WARM_UP_PASSES:
        _, busy = _busy(url, pids, one_pass)()
        total = sum(busy)
        if total > 0:
            missed = [share * (1 - cpu / total) for share, cpu in zip(missed, busy, strict=True)]
        passes += 1
    return passes


def beside_one_worker(
    figure: str, label: str, server: Server, load: wrk.Load, one: wrk.WrkRun, *, warm_up: wrk.Load | None = None
) -> Result:
    """The row for `load` run against the two-worker `server` after a warm-up, beside `one`, the one-worker run.
    `warm_up`: a pass over every id, repeated by `warm_every_worker`; None: WARM_UP_S of `load` itself."""
    pids = _workers(server)
    # Not recorded: every worker has answered before the measured run, and with `warm_up` holds every id.
    if warm_up is None:
        wrk.run(server.url, wrk.Load(CONNECTIONS, WARM_UP_S, load.script, load.script_args))
        warmed = ""
    else:
        warmed = f"; after {warm_every_worker(server.url, pids, warm_up)} warm-up passes over every id"
    runs = runs_until_fair(_busy(server.url, pids, load), lambda measured: measured[1])
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
        f"{run.summary()}, p99 {run.p99_ms:.1f} ms; workers busy {busy[0]:.2f} + {busy[1]:.2f} vCPU{warmed}"
        f"{fairness}; {SHARED_VCPUS}",
    )
