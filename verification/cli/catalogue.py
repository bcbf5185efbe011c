"""`ecolabel-verify eligibility`: a catalogue of any length through the registry, in chunks, resumably;
and the check of the chunk decisions it leaves (`ecolabel-verify decision DIR`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from verification.cli.common import (
    DEFAULT_REGISTRY,
    EXIT_INPUT,
    EXIT_UNTRUSTED,
    RegistryOption,
    console,
    fail,
    ok,
    plural,
)
from verification.client import DEFAULT_TIMEOUT, RegistryClient, RegistryProblem, catalogue_run
from verification.client.catalogue import collector_paused
from verification.client.catalogue_manifest import check_decisions
from verification.client.catalogue_pipeline import CatalogueRefused, Scan
from verification.client.catalogue_run import (
    DEFAULT_CHUNK,
    IN_FLIGHT,
    MAX_CHUNK,
    MAX_IN_FLIGHT,
    Ask,
    Catalogue,
    ResumeRefused,
    RunSettings,
)
from verification.errors import MalformedInput, VerificationError
from verification.jwk import PublicKey, parse_public_jwk
from verification.payloads.common import parse_timestamp

# A chunk waits behind the one being judged, on a registry that may be busy with others too.
_TIMEOUT = httpx.Timeout(300.0, connect=DEFAULT_TIMEOUT.connect)


def eligibility(
    catalogue: Annotated[
        Path, typer.Argument(help="CSV: ref, certificate_id | programme+licence_number | gtin[, model]")
    ],
    *,
    registry: RegistryOption = DEFAULT_REGISTRY,
    accept: Annotated[
        list[str] | None, typer.Option(help="an accepted label: programme[:category] (repeatable)")
    ] = None,
    cpv: Annotated[str | None, typer.Option(help="the tender's CPV code (labels via the crosswalk)")] = None,
    cn_procurement: Annotated[str | None, typer.Option(help="China procurement item code")] = None,
    equivalents: Annotated[bool, typer.Option(help="accept labels recognised as equivalent")] = True,
    market: Annotated[list[str] | None, typer.Option(help="a market the licence must cover (repeatable)")] = None,
    date: Annotated[
        str | None, typer.Option(help="judge on this date (RFC 3339); default now, or the interrupted run's")
    ] = None,
    out: Annotated[
        Path, typer.Option(help="results CSV; its run state is kept beside it (OUT.state.json) until done")
    ] = Path("eligibility.csv"),
    decisions: Annotated[
        Path, typer.Option(help="directory for the signed decision of every chunk and their manifest, to archive")
    ] = Path("eligibility-decisions"),
    chunk_size: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_CHUNK,
            help=f"catalogue lines per request; default {DEFAULT_CHUNK:,}, or the interrupted run's",
        ),
    ] = None,
    max_chunks: Annotated[
        int | None, typer.Option(min=1, help="stop after this many chunks; the same command continues later")
    ] = None,
    in_flight: Annotated[
        int,
        typer.Option(
            min=1, max=MAX_IN_FLIGHT, help="requests sent ahead (a registry serving with N workers keeps N + 1 busy)"
        ),
    ] = IN_FLIGHT,
) -> None:
    """Run a catalogue of any length through the registry, with a progress bar and resume.

    The catalogue is streamed in chunks of --chunk-size lines; every chunk's answer is verified, its
    results appended to --out, and its signed decision saved in --decisions; when the last chunk is done,
    manifest.json there lists them all (check them with `ecolabel-verify decision DIR --catalogue FILE`).
    An interrupted run (Ctrl-C, a lost connection, --max-chunks) continues where it stopped when the
    same command is run again; a run against another catalogue, registry or requirement is refused.
    Name what the tender accepts with --accept (labels) or --cpv / --cn-procurement (product codes).

    Exit codes: 0 done (or stopped by --max-chunks); 2 unusable catalogue or options, or a state file
    this run cannot continue; 3 registry unreachable; 4 the registry's answer did not verify.

    Example: ecolabel-verify eligibility catalogue.csv --accept eu-ecolabel --out results.csv --decisions evidence/
    """
    if not (accept or cpv or cn_procurement):
        raise fail(
            "say what the tender accepts: --accept PROGRAMME[:CATEGORY] (repeatable), --cpv CODE "
            "or --cn-procurement CODE",
            code=EXIT_INPUT,
        )
    requirement = _requirement(accept or [], cpv, cn_procurement, equivalents, market or [])
    settings = RunSettings(out, decisions, max_chunks=max_chunks, in_flight=in_flight)
    if date is not None:
        _check_date(date)
    # The catalogue is hashed and checked while the registry judges its first chunks (`catalogue_pipeline`).
    with collector_paused():
        scan = Scan(catalogue, Catalogue.scan)
        try:  # read once: the date, the chunk size, the lines sent and the run resumed all follow it
            recorded = catalogue_run.RunState.recorded(out)
        except ResumeRefused as exc:
            _scanned(scan)  # the catalogue's own refusal first
            raise fail(str(exc), code=EXIT_INPUT) from exc
        try:
            summary, lines = _run(
                scan,
                registry,
                requirement=requirement,
                on_date=date or (recorded.question.date if recorded else _now()),
                lines_per_chunk=chunk_size or (recorded.question.chunk_size if recorded else DEFAULT_CHUNK),
                settings=settings,
                recorded=recorded,
            )
        except Exception as exc:
            if not isinstance(exc, typer.Exit):  # the scan's refusal first, as before the registry was asked
                _scanned(scan)
            raise
    resumed = f" (continuing after {summary.resumed_from:,} lines checked before)" if summary.resumed_from else ""
    if not summary.complete:
        console.print(
            f"stopped after {plural(summary.chunks, 'chunk')} ({summary.items:,} of {lines:,} lines) as "
            "asked; run the same command again to continue",
            soft_wrap=True,
            highlight=False,
        )
        return
    ok(
        f"{summary.eligible:,} of {plural(summary.items, 'item')} eligible{resumed}; results in {out}, "
        f"{plural(summary.chunks, 'signed decision')} and their manifest in {decisions}"
    )


def _run(
    scan: Scan,
    registry: str,
    *,
    requirement: dict[str, Any],
    on_date: str,
    lines_per_chunk: int,
    settings: RunSettings,
    recorded: catalogue_run.RunState | None,
) -> tuple[catalogue_run.RunSummary, int]:
    """The run, with its progress bar: its summary and the catalogue's number of lines."""
    progress = Progress(
        TextColumn("checking"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TextColumn("{task.fields[eligible]:,} eligible"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    try:
        with RegistryClient(registry, timeout=_TIMEOUT) as client:
            key = _key(client)
            ask = Ask(key.raw.hex(), requirement, on_date, lines_per_chunk)
            with progress:
                task = progress.add_task("items", total=None, eligible=0)

                def scanned(catalogue: Catalogue) -> None:
                    progress.update(task, total=_usable(catalogue).lines)

                def advance(done: catalogue_run.Progress) -> None:
                    progress.update(task, completed=done.items_done, eligible=done.eligible)

                summary = catalogue_run.run(
                    client, key, scan, ask, settings=settings, recorded=recorded, on_scanned=scanned, on_chunk=advance
                )
    except ResumeRefused as exc:
        raise fail(str(exc), code=EXIT_INPUT) from exc
    except RegistryProblem as exc:
        raise fail(f"the registry answered {exc}", code=EXIT_INPUT) from exc
    except VerificationError as exc:
        raise fail(exc.diagnostics(), code=EXIT_UNTRUSTED) from exc
    return summary, scan.result().lines


class _Rate(ProgressColumn):
    """Lines per second over the run so far (rich's own speed is a short moving window)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} lines/s" if speed else "", style="progress.data.speed")


def _requirement(
    accept: list[str], cpv: str | None, cn_procurement: str | None, equivalents: bool, markets: list[str]
) -> dict[str, Any]:
    requirement: dict[str, Any] = {"equivalents": equivalents, "markets": markets}
    requirement["accepted"] = [
        dict(zip(("programme", "category"), label.split(":", 1), strict=False)) for label in accept
    ]
    if cpv:
        requirement["cpv"] = cpv
    if cn_procurement:
        requirement["cn_procurement"] = cn_procurement
    return requirement


def _usable(catalogue: Catalogue) -> Catalogue:
    if catalogue.lines == 0:
        raise fail(f"{catalogue.path} has a header but no line to check", code=EXIT_INPUT)
    return catalogue


def _scanned(scan: Scan) -> Catalogue:
    """The scanned catalogue, or the one-line failure that says why it cannot be checked."""
    catalogue = scan.path
    try:
        return _usable(scan.result())
    except CatalogueRefused as refused:
        exc = refused.__cause__
        if isinstance(exc, MalformedInput):
            raise fail(f"{catalogue}: {exc.detail}", code=EXIT_INPUT) from exc
        if isinstance(exc, UnicodeDecodeError):
            raise fail(
                f"{catalogue} is not UTF-8 text (byte {exc.start}); save it as UTF-8 (in a spreadsheet: CSV UTF-8)",
                code=EXIT_INPUT,
            ) from exc
        raise


def _check_date(given: str) -> None:
    """--date, the date every chunk is judged on, when given (else the interrupted run's, else now)."""
    try:
        parse_timestamp(given)
    except ValueError as exc:
        raise fail(f"--date {given!r}: {exc}", code=EXIT_INPUT) from exc


def _now() -> str:
    """Now, to the second: the date of a new run not given --date."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _key(client: RegistryClient) -> PublicKey:
    try:
        return parse_public_jwk(client.identity().jwks["keys"][0])  # fails fast when unreachable
    except VerificationError as exc:
        raise fail(f"the registry's key: {exc.diagnostics()}", code=EXIT_UNTRUSTED) from exc


def check_directory(path: Path, key: PublicKey, catalogue: Path | None) -> None:
    """`ecolabel-verify decision DIR`: every chunk decision, and that together they cover the catalogue."""
    try:
        report = check_decisions(path, key, catalogue)
    except MalformedInput as exc:
        raise fail(exc.diagnostics(), code=EXIT_INPUT) from exc
    for problem in report.problems:
        console.print(Text.assemble(("FAILED ", "bold red"), problem), soft_wrap=True, highlight=False)
    manifest = report.manifest
    if report.problems:
        raise fail(
            f"{len(report.problems)} problem(s) in {path}: the decisions do not prove the whole of "
            f"{manifest.catalogue_name} was checked"
        )
    sizes = sorted(report.tree_sizes)
    at = f"size {sizes[0]}" if len(sizes) == 1 else f"sizes {sizes[0]} to {sizes[-1]}"
    against = (
        f"line by line against {catalogue}"
        if report.catalogue_checked
        else f"{manifest.catalogue_name} by count (give --catalogue to match its lines)"
    )
    ok(
        f"{plural(report.decisions, 'decision')} signed by {report.origin} cover {plural(report.items, 'item')} "
        f"({report.eligible:,} eligible), {against}, computed against the log at {at}"
    )
