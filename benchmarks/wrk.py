"""The load generator: Debian's `wrk` in its own process, and what its report says.

Every HTTP figure is measured from outside the server, over 127.0.0.1, so the server pays for its
sockets, HTTP parsing and JSON exactly as it would for a real client. Requests/s is wrk's own
"Requests/sec" (completed requests over the run's duration); p50/p99 come from its `--latency`
distribution. Lua scripts (in `benchmarks/lua/`) make POST bodies and random ids.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchmarks.model import Unavailable

LUA = Path(__file__).with_name("lua")
_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_REQUESTS = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s*([\d.]+)", re.MULTILINE)
_PERCENTILE = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)", re.MULTILINE)
_AVERAGE = re.compile(r"^\s*Latency\s+([\d.]+)(us|ms|s|m|h)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass(frozen=True)
class Load:
    """How wrk drives the server: connections, duration, and an optional Lua script with arguments."""

    connections: int
    seconds: float
    script: str | None = None  # a file name in benchmarks/lua/
    script_args: tuple[str, ...] = ()
    timeout_s: int = 10  # wrk's default of 2 s is shorter than a 1,000-credential batch on a busy machine
    threads: int = 1  # one wrk thread leaves the second core to the server and the database
    headers: tuple[str, ...] = ()  # "Name: value" request headers


@dataclass(frozen=True)
class WrkRun:
    requests: int
    seconds: float
    requests_per_s: float
    mean_ms: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    output: str

    def summary(self) -> str:
        return f"{self.requests:,} requests in {self.seconds:.1f} s, p50 {self.p50_ms:.2f} ms"


def seconds_for(base: float, request_s: float, *, requests: int = 8, cap: float = 60.0) -> float:
    """A run long enough for `requests` requests of `request_s` each (wrk counts only completed ones,
    so a run of a few long requests would lose a large share to the one cut off at the end)."""
    return min(cap, max(base, requests * request_s))


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise Unavailable("wrk is not installed (`make bench` installs it: apt-get install wrk)")
    return found


def run(url: str, load: Load) -> WrkRun:
    """Run wrk against `url` and parse its report; any non-2xx answer or socket error is an error."""
    command = [
        wrk_binary(),
        f"--threads={load.threads}",
        f"--connections={load.connections}",
        f"--duration={max(1, round(load.seconds))}s",
        f"--timeout={load.timeout_s}s",
        "--latency",
    ]
    for header in load.headers:
        command += ["--header", header]
    if load.script is not None:
        command += ["--script", str(LUA / load.script)]
    command.append(url)
    if load.script_args:
        command += ["--", *load.script_args]
    finished = subprocess.run(command, capture_output=True, text=True, check=False, timeout=load.seconds + 120)
    if finished.returncode != 0:
        raise RuntimeError(f"wrk exited with {finished.returncode}: {finished.stderr.strip() or finished.stdout}")
    result = parse(finished.stdout)
    if result.non_2xx or result.socket_errors:
        raise RuntimeError(
            f"wrk saw {result.non_2xx} non-2xx answers and {result.socket_errors} socket errors:\n{finished.stdout}"
        )
    if result.requests == 0:
        raise RuntimeError(f"wrk completed no request in {load.seconds} s:\n{finished.stdout}")
    return result


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def parse(output: str) -> WrkRun:
    requests = _REQUESTS.search(output)
    rate = _RATE.search(output)
    average = _AVERAGE.search(output)
    if requests is None or rate is None or average is None:
        raise RuntimeError(f"cannot read wrk's report:\n{output}")
    percentiles = {int(p): _ms(v, u) for p, v, u in _PERCENTILE.findall(output)}
    non_2xx = _NON_2XX.search(output)
    socket = _SOCKET.search(output)
    return WrkRun(
        requests=int(requests.group(1)),
        seconds=_ms(requests.group(2), requests.group(3)) / 1e3,
        requests_per_s=float(rate.group(1)),
        mean_ms=_ms(average.group(1), average.group(2)),
        p50_ms=percentiles.get(50, 0.0),
        p99_ms=percentiles.get(99, 0.0),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
        output=output,
    )
