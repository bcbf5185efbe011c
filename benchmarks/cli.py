"""`python -m benchmarks [--quick] [--only NAME] [--backend sqlite|postgresql|both] [--json FILE]`."""

from __future__ import annotations

import argparse
import compileall
import fnmatch
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from rich.console import Console

from benchmarks import (
    catalogue,
    http_bare,
    http_eligibility,
    http_floor,
    http_ingest,
    http_recognition,
    http_replica,
    http_verify,
    integrity,
    limits,
    log_append,
    log_proofs,
    log_tiles,
    statistics,
    status_map,
    status_map_store,
    supply_chain,
)
from benchmarks.databases import DEFAULT_POSTGRES_URL, normalise_postgres_url
from benchmarks.machine import describe, load
from benchmarks.model import BACKENDS, Backend, Context, Figure, Result, Unavailable, Verdict
from benchmarks.report import render, save_json


def all_figures(backends: Sequence[Backend]) -> list[Figure]:
    """Every figure, machine limits first; a new module adds its `figures` here."""
    return [
        *limits.figures(backends),
        *http_bare.figures(backends),
        *http_floor.figures(backends),
        *log_append.figures(backends),
        *log_proofs.figures(backends),
        *log_tiles.figures(backends),
        *http_ingest.figures(backends),
        *http_verify.figures(backends),
        *http_replica.figures(backends),
        *http_eligibility.figures(backends),
        *http_recognition.figures(backends),
        *catalogue.figures(backends),
        *supply_chain.figures(backends),
        *integrity.figures(backends),
        *status_map.figures(backends),
        *status_map_store.figures(backends),
        *statistics.figures(backends),
    ]


def _selected(figure: Figure, patterns: Sequence[str]) -> bool:
    if not patterns:
        return True
    return any(
        figure.name == p or figure.name.startswith(p + ".") or fnmatch.fnmatchcase(figure.name, p) for p in patterns
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    quick_default = os.environ.get("BENCH_QUICK", "") not in {"", "0"}
    parser.add_argument("--quick", action="store_true", default=quick_default, help="scaled down (or BENCH_QUICK=1)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="figure name, prefix or glob")
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also save the results as JSON")
    parser.add_argument(
        "--postgres-url",
        default=normalise_postgres_url(os.environ.get("DATABASE_URL", DEFAULT_POSTGRES_URL)),
        help="an existing PostgreSQL database to connect to; the scratch database is created beside it",
    )
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    return parser


def _run_figure(figure: Figure, ctx: Context, console: Console) -> list[Result]:
    ctx.progress(f"[bold]{figure.name}[/bold]: {figure.summary}")
    start = time.perf_counter_ns()
    try:
        results = figure.run(ctx)
    except Unavailable as exc:
        return [Result(figure.name, figure.name, None, note=str(exc), problem=Verdict.SKIPPED)]
    except Exception as exc:  # noqa: BLE001  (one broken figure must not hide the others)
        console.print(traceback.format_exc(), markup=False, highlight=False)
        return [Result(figure.name, figure.name, None, note=f"{type(exc).__name__}: {exc}", problem=Verdict.ERROR)]
    ctx.progress(f"  {figure.name} done in {(time.perf_counter_ns() - start) / 1e9:.1f} s")
    return results


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds, so scratch databases and files are removed


def _started_as_installed() -> None:
    """The programs a figure starts (servers, `ecolabel-verify`) load compiled bytecode, as installed ones do.

    pip compiles a package's modules when it installs it. A checkout run with `PYTHONDONTWRITEBYTECODE`
    set, as some environments set it, would compile the registry's modules again at every start, and a
    figure that starts a program inside its clock (the catalogue's `ecolabel-verify eligibility`) would
    count that. So the variable is dropped for the programs started here, and the two packages they run
    are compiled once, before any clock starts (into `__pycache__/`, which git ignores).
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    for package in ("ecolabel_registry", "verification"):
        compileall.compile_dir(Path(__file__).resolve().parent.parent / package, quiet=1)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    backends: tuple[Backend, ...] = BACKENDS if args.backend == "both" else (args.backend,)
    figures = [f for f in all_figures(backends) if _selected(f, args.only)]
    if args.list or not figures:
        if not figures:
            print(f"no figure matches {args.only}; the figures are:", file=sys.stderr)
        for figure in all_figures(backends):
            print(f"{figure.name:28} {figure.summary}")
        return 0 if args.list else 2
    signal.signal(signal.SIGTERM, _terminate)
    _started_as_installed()
    out = Console(width=None if sys.stdout.isatty() else 150)
    err = Console(stderr=True, log_path=False)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="ecolabel-bench-") as workdir:
        ctx = Context(quick=args.quick, workdir=Path(workdir), postgres_url=args.postgres_url, progress=err.log)
        machine = describe(ctx) | {"started": started, "load at start": load()}
        results = [result for figure in figures for result in _run_figure(figure, ctx, err)]
        machine["load at end"] = load()
    render(out, machine, results)
    if args.json is not None:
        options = {"quick": args.quick, "only": args.only, "backends": list(backends)}
        save_json(args.json, machine, options, results)
    return 1 if any(r.verdict is Verdict.ERROR for r in results) else 0
