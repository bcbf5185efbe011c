"""What a recognition answer costs beyond the app floor, in process: `make profile-answers`.

The application `serve` runs (`create_app(..., serving=True)`, its logging as `serve` configures it, the
access lines written to /dev/null) with the app floor's no-op route in front (`benchmarks.floor_app`), on
a migrated SQLite file holding the reduced demo world of `http.recognition` (loaded once through the
registry's own write paths, not measured). Requests go to it by raw ASGI calls on one event loop, one at
a time, in four kinds, each the benchmark's own questions in turn: `floor` (GET of the no-op route),
`recognition` and `authorization` (the TRQP v2 POST bodies) and `equivalence` (the GET query strings).
For each kind `--warm-up` requests, then `--count` measured. Printed per measured request and kind:

- its CPU time (`time.thread_time` of the loop's thread), always;
- with `--callgrind`, its instructions, every thread counted: the harness runs itself under `valgrind
  --tool=callgrind --zero-before=getppid --dump-before=getpgrp`, and calls `os.getppid()` just before a
  kind's measured requests and `os.getpgrp()` just after them, so that each kind's counts are one dump
  (two runs of the same code differ by up to 1%; about 50 times slower, a few minutes). `--keep DIR`
  keeps the dumps, `DIR/<kind>.callgrind`, for `callgrind_annotate --inclusive=yes`;
- with `--cprofile N`, each kind's N functions of most own CPU time.

Example: .venv/bin/python -m benchmarks.profile_answers --callgrind --keep var/profile-answers
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.floor_app import PATH as FLOOR_PATH
from benchmarks.floor_app import with_floor_route
from benchmarks.http_recognition import equivalence_paths, load_reduced_world, questions, trqp_bodies
from benchmarks.in_process import Answer, App, asgi_call
from benchmarks.profile_submission import _configure_logging, _lifespan
from benchmarks.servers import LOG_ORIGIN
from ecolabel_registry.app import create_app
from ecolabel_registry.db.migrate import upgrade
from ecolabel_registry.settings import Settings

KINDS = ("floor", "recognition", "authorization", "equivalence")
INNER = "--inner-callgrind"  # set on the run under valgrind: it marks each kind's counts
NAME = "recognition-sqlite"
Request = tuple[str, str, bytes, bytes]  # method, path, query string, body


async def call(app: App, request: Request) -> Answer:
    """One of the benchmark's requests, as uvicorn hands it to the application: status, headers, body."""
    method, path, query, body = request
    return await asgi_call(app, method, path, body, query=query)


def requests_by_kind(
    world_questions: list[tuple[str, str, str]], ids: dict[tuple[str, str], str]
) -> dict[str, list[Request]]:
    """The benchmark's questions of each kind, as raw requests."""
    return {
        "floor": [("GET", FLOOR_PATH, b"", b"")],
        "recognition": [
            ("POST", "/trqp/v2/recognition", b"", body) for body in trqp_bodies(world_questions, ids, "recognition")
        ],
        "authorization": [
            ("POST", "/trqp/v2/authorization", b"", body) for body in trqp_bodies(world_questions, ids, "authorization")
        ],
        "equivalence": [("GET", "/v1/equivalence", query, b"") for query in equivalence_paths(world_questions, ids)],
    }


def settings(workdir: Path, url: str) -> Settings:
    """The settings `benchmarks.servers` gives the benchmark's server (rate limits on, at a rate no run reaches)."""
    return Settings(
        database_url=url,
        signing_key_path=workdir / f"{NAME}-signing-key.pem",
        admin_token_path=workdir / f"{NAME}-admin-token",
        log_origin=LOG_ORIGIN,
        fsck_interval_s=0,
        rate_limit_client_per_second=1e9,
        rate_limit_programme_per_second=1e9,
    )


async def _send(app: App, requests: list[Request], count: int) -> None:
    for index in range(count):
        status, _, body = await call(app, requests[index % len(requests)])
        if status != 200:
            raise RuntimeError(f"{requests[index % len(requests)][:3]}: {status} {body[:300]!r}")


def _marked(mark: Callable[[], object]) -> None:
    if INNER in sys.argv:
        mark()  # callgrind zeroes its counters before `getppid` and dumps them before `getpgrp`


async def _run(args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    url = f"sqlite:///{workdir / 'registry.sqlite3'}"
    upgrade(url)
    world, ids = load_reduced_world(url, workdir, NAME)
    kinds = requests_by_kind(questions(world), ids)
    _configure_logging()
    app: App = with_floor_route(create_app(settings(workdir, url), serving=True))
    inbox, lifespan = await _lifespan(app)
    cpu: dict[str, float] = {}
    for kind in args.kinds:
        await _send(app, kinds[kind], args.warm_up)
        profile = cProfile.Profile(time.thread_time) if args.cprofile else None
        _marked(os.getppid)
        started = time.thread_time()
        if profile:
            profile.enable()
        await _send(app, kinds[kind], args.count)
        if profile:
            profile.disable()
        cpu[kind] = (time.thread_time() - started) / args.count * 1e6
        _marked(os.getpgrp)
        if profile:
            print(f"--- {kind}")
            pstats.Stats(profile).sort_stats("tottime").print_stats(args.cprofile)
    await inbox.put({"type": "lifespan.shutdown"})
    await lifespan
    return cpu


def _instructions(args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    """The same run under callgrind: one dump per kind, in the order the kinds ran."""
    out = workdir / "callgrind.out"
    command = [
        "valgrind",
        "--tool=callgrind",
        "--zero-before=getppid",
        "--dump-before=getpgrp",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-m",
        "benchmarks.profile_answers",
        "--count",
        str(args.count),
        "--warm-up",
        str(args.warm_up),
        *(f"--only={kind}" for kind in args.kinds),
        INNER,
    ]
    subprocess.run(
        command, check=True, stdout=sys.stdout, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONHASHSEED": "0"}
    )
    counts = {}
    for number, kind in enumerate(args.kinds, start=1):
        dump = Path(f"{out}.{number}")
        found = re.search(r"^(?:summary|totals): (\d+)", dump.read_text(), re.MULTILINE)
        if not found:
            raise RuntimeError(f"no instruction total in {dump}")
        counts[kind] = int(found.group(1)) / args.count
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(dump, args.keep / f"{kind}.callgrind")
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", action="append", choices=KINDS, help="a kind to measure (repeatable; default all)")
    parser.add_argument("--count", type=int, default=280, help="measured requests per kind")
    parser.add_argument("--warm-up", type=int, default=300, help="requests of a kind before its measured ones")
    parser.add_argument("--callgrind", action="store_true", help="count instructions (valgrind)")
    parser.add_argument("--keep", type=Path, help="with --callgrind: keep each kind's dump in this directory")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N", help="print each kind's top N functions")
    parser.add_argument(INNER, action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.kinds = [kind for kind in KINDS if kind in (args.only or KINDS)]
    if args.callgrind and not shutil.which("valgrind"):
        print("valgrind is not installed (apt-get install valgrind): CPU time only", file=sys.stderr)
        args.callgrind = False
    with tempfile.TemporaryDirectory(prefix="profile-answers-") as name:
        workdir = Path(name)
        if args.callgrind:
            measured = _instructions(args, workdir)
            unit = "instructions"
        else:
            measured = asyncio.run(_run(args, workdir))
            unit = "µs CPU"
        if args.inner_callgrind:
            return
        floor = measured.get("floor")
        for kind, value in measured.items():
            ratio = f"  ({value / floor:.2f} floors)" if floor and kind != "floor" else ""
            print(f"{kind:>14}: {value:,.1f} {unit} per request{ratio}")


if __name__ == "__main__":
    main()
