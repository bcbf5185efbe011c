"""The event loop's work per single submission, in process: `make profile-submission`.

The application `serve` runs (`create_app(..., serving=True)`, logging configured as `serve` configures
it, the access lines written to /dev/null) on a freshly migrated SQLite file, with group commit on.
Single submissions (`POST /v1/certificates`, each body as `post_bodies.lua` sends it) go to it by raw
ASGI calls, `--concurrency` at a time, as uvicorn's tasks would; `--warm-up` of them first, then
`--count` measured. Printed per measured submission, for the event loop's thread only (the writer's
thread and the database's work are not counted):

- its CPU time (`time.thread_time`), always;
- with `--callgrind`, its instructions: the harness runs itself under `valgrind --tool=callgrind
  --separate-threads=yes`, with instrumentation switched on by `callgrind_control -i on` only around
  the measured submissions, and reads the loop thread's total (about 50 times slower, a few minutes);
- with `--cprofile N`, the N functions of most own time on the loop (cProfile, which is per thread).

With `--batch N`, batches of N credentials (`POST /v1/certificates/batch`, each body as
`benchmarks.http_ingest` sends it) instead, one at a time; `--warm-up` and `--count` then count batches
(1 and 1 unless given), and the figures are per certificate and count every thread, since the route runs
on the thread pool: the process's CPU time (`time.process_time`), and with `--callgrind` every thread's
instructions, in one file (`--callgrind-out` keeps it for `callgrind_annotate --inclusive=yes`, in which
`ossl_ed25519_verify` is Ed25519's share).

Example: .venv/bin/python -m benchmarks.profile_submission --callgrind --count 300
         .venv/bin/python -m benchmarks.profile_submission --batch 1000 --callgrind --callgrind-out cg.out
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging.config
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from benchmarks.credentials import Issuer
from benchmarks.in_process import App, asgi_call
from ecolabel_registry.app import create_app
from ecolabel_registry.db.migrate import upgrade
from ecolabel_registry.observability.logging import uvicorn_log_config
from ecolabel_registry.settings import Settings

ADMIN_TOKEN = "profile-admin-token-0123456789abcdefghijklmnop"
INNER = "--inner-callgrind"  # set on the run under valgrind: it switches instrumentation on and off


async def _expect(app: App, path: str, body: bytes, status: int, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    got, _, answer = await asgi_call(app, "POST", path, body, headers=headers)
    if got != status:
        raise RuntimeError(f"POST {path}: {got} {answer[:300]!r}")


async def _submit(app: App, bodies: list[bytes], concurrency: int, path: str = "/v1/certificates") -> None:
    status = 201 if path == "/v1/certificates" else 200
    for start in range(0, len(bodies), concurrency):
        wave = bodies[start : start + concurrency]
        await asyncio.gather(*(_expect(app, path, body, status) for body in wave))


def _toggle(on: bool) -> None:
    if INNER in sys.argv:
        subprocess.run(
            ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())], check=True, capture_output=True
        )


async def _lifespan(app: App) -> tuple[asyncio.Queue[dict[str, Any]], asyncio.Task[None]]:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    task = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the application did not start: {started}")
    return inbox, task


def _configure_logging() -> None:
    """As `serve` configures it (JSON lines, INFO), the lines written to /dev/null through a stream opened
    as Python opens its standard error (line-buffered, UTF-8, `backslashreplace`)."""
    config = uvicorn_log_config("json", "INFO")
    stream = Path(os.devnull).open("w", buffering=1, encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
    config["handlers"]["default"]["stream"] = stream  # open until the process exits
    logging.config.dictConfig(config)


async def _run(args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    url = f"sqlite:///{workdir / 'registry.sqlite3'}"
    upgrade(url)
    settings = Settings(
        database_url=url,
        admin_token=ADMIN_TOKEN,
        signing_key_path=workdir / "registry-key.pem",
        admin_token_path=workdir / "admin-token",
        log_origin="registry.profile/log",
        fsck_interval_s=0,
        rate_limit_client_per_second=1e9,
        rate_limit_programme_per_second=1e9,
    )
    _configure_logging()
    app: App = create_app(settings, serving=True)
    inbox, lifespan = await _lifespan(app)
    issuer = Issuer()
    admin = ((b"authorization", f"Bearer {ADMIN_TOKEN}".encode()),)
    await _expect(app, "/v1/programmes", orjson.dumps(issuer.registration()), 201, admin)
    category = orjson.dumps({"category": issuer.category()})
    await _expect(app, f"/v1/programmes/{issuer.programme_id}/categories", category, 201)
    tokens = issuer.credentials(0, (args.warm_up + args.count) * (args.batch or 1))
    if args.batch:
        path, concurrency, clock = "/v1/certificates/batch", 1, time.process_time  # every thread's CPU
        bodies = [orjson.dumps({"credentials": tokens[i : i + args.batch]}) for i in range(0, len(tokens), args.batch)]
    else:
        path, concurrency, clock = "/v1/certificates", args.concurrency, time.thread_time
        bodies = [orjson.dumps({"credential": token}) for token in tokens]
    await _submit(app, bodies[: args.warm_up], concurrency, path)
    profile = cProfile.Profile(clock) if args.cprofile else None  # CPU, not waits for the GIL
    _toggle(True)
    cpu = clock()
    if profile:
        profile.enable()
    await _submit(app, bodies[args.warm_up :], concurrency, path)
    if profile:
        profile.disable()
    cpu = clock() - cpu
    _toggle(False)
    await inbox.put({"type": "lifespan.shutdown"})
    await lifespan
    if profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.cprofile)
    return {"cpu_us": cpu / (args.count * (args.batch or 1)) * 1e6}


def _instructions(args: argparse.Namespace, workdir: Path) -> float:
    """The same run under callgrind; the event loop is the main thread, whose counts are file `-01`
    (a batch's: every thread's, in one file)."""
    out = Path(args.callgrind_out) if args.callgrind_out else workdir / "callgrind.out"
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--separate-threads={'no' if args.batch else 'yes'}",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-m",
        "benchmarks.profile_submission",
        "--count",
        str(args.count),
        "--warm-up",
        str(args.warm_up),
        "--concurrency",
        str(args.concurrency),
        "--batch",
        str(args.batch),
        INNER,
    ]
    subprocess.run(command, check=True, stdout=sys.stdout, stderr=subprocess.DEVNULL)
    counts = out if args.batch else Path(f"{out}-01")
    found = re.search(r"^totals: (\d+)", counts.read_text(), re.MULTILINE)  # "summary" is 0 when switched on late
    if not found:
        raise RuntimeError(f"no instruction total in {counts}")
    count: int = args.count * (args.batch or 1)
    return int(found.group(1)) / count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, help="measured submissions (batches: 1)")
    parser.add_argument("--warm-up", type=int, help="submissions before the measured ones (batches: 1)")
    parser.add_argument("--batch", type=int, default=0, metavar="N", help="batches of N credentials instead")
    parser.add_argument("--concurrency", type=int, default=32, help="submissions in flight at a time")
    parser.add_argument("--callgrind", action="store_true", help="count the loop's instructions (valgrind)")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N", help="print the loop's top N functions")
    parser.add_argument("--callgrind-out", metavar="PATH", help="keep callgrind's counts in PATH (batches)")
    parser.add_argument(INNER, action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.count = args.count if args.count is not None else 1 if args.batch else 600
    args.warm_up = args.warm_up if args.warm_up is not None else 1 if args.batch else 300
    with tempfile.TemporaryDirectory(prefix="profile-submission-") as name:
        workdir = Path(name)
        if args.callgrind and not (shutil.which("valgrind") and shutil.which("callgrind_control")):
            print("valgrind is not installed (apt-get install valgrind): the loop's CPU time only", file=sys.stderr)
            args.callgrind = False
        if args.callgrind:
            what = "instructions per batched certificate" if args.batch else "event loop instructions per submission"
            print(f"{what}: {_instructions(args, workdir):,.0f}")
            return
        measured = asyncio.run(_run(args, workdir))
        if not args.inner_callgrind:
            what = "CPU per batched certificate" if args.batch else "event loop CPU per submission"
            print(f"{what}: {measured['cpu_us']:.1f} µs")


if __name__ == "__main__":
    main()
