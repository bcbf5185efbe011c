"""Readings of a running server's processes from `/proc`: CPU used, peak memory, a supervisor's workers.

Taken before and after a timed run, the CPU says what the server spent on the run's work (user + system,
every thread of the process, the writer's and the checker's as much as the event loop's), beside the
rate the load generator saw; divided by the run's wall time it says how many cores the server kept busy.
The readings of several workers add up (`Usage` supports `+`) to what the whole server used.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a running process has used (/proc/<pid>/stat, fields 14 and 15)."""
    return usage(pid).cpu_s


@dataclass(frozen=True)
class Usage:
    """What a process has used so far; the difference of two readings is what it used between them."""

    user_s: float
    system_s: float
    switches: int  # context switches, voluntary and not, of the threads alive at the reading

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.system_s

    def __sub__(self, before: Usage) -> Usage:
        return Usage(self.user_s - before.user_s, self.system_s - before.system_s, self.switches - before.switches)

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.user_s + other.user_s, self.system_s + other.system_s, self.switches + other.switches)


def usage(pid: int) -> Usage:
    """User and system CPU seconds of every thread (/proc/<pid>/stat), and the context switches of each
    thread still running (/proc/<pid>/task/*/status: a thread that ended takes its count with it)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    switches = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        try:
            lines = status.read_text(encoding="ascii").splitlines()
        except OSError:  # the thread ended between the listing and the reading
            continue
        switches += sum(int(line.split()[1]) for line in lines if "ctxt_switches:" in line)
    return Usage(int(fields[11]) / tick, int(fields[12]) / tick, switches)


def peak_mb(pid: int) -> float:
    """The peak resident set of a running process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def reset_peak(pid: int) -> bool:
    """Reset a process's VmHWM (proc(5)); False where this kernel or user may not."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def serving(pid: int, workers: int) -> list[int]:
    """The processes that serve: the one process of a single worker, else the supervisor's children but
    multiprocessing's resource tracker (uvicorn spawns its workers, and spawning starts the tracker as one
    more child, which serves nothing: counted, it would pass for a worker)."""
    if workers == 1:
        return [pid]
    deadline = time.monotonic() + 60
    while True:
        children = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text("ascii").split()]
        workers_up = [child for child in children if _serves(child)]
        if len(workers_up) >= workers or time.monotonic() > deadline:
            return workers_up
        time.sleep(0.1)


def _serves(pid: int) -> bool:
    """A supervisor's child that is a worker: not the resource tracker, nor a process that has ended."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # it ended between the listing and the reading
        return False
    return b"multiprocessing.resource_tracker" not in command
