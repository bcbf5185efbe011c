"""The terminal face of `bulk-submit`: a progress bar while batches go out, then a summary table."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from certifiers.bulk import BatchProgress, BulkOptions, BulkSummary, bulk_submit
from certifiers.client import CertifierClient
from certifiers.keys import SigningKey
from certifiers.records import load_records

MAX_REJECTIONS_SHOWN = 200


def run_bulk(
    console: Console,
    file: Path,
    signer: SigningKey,
    programme: str,
    state: Path,
    *,
    url: str,
    batch_size: int,
    max_batches: int | None,
    registry_key: str | None,
    status_slots: bool = False,
) -> BulkSummary:
    records = load_records(file, programme)  # every row is validated before anything is signed
    progress = Progress(
        TextColumn("submitting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    )
    task = progress.add_task("records", total=None)

    def advance(step: BatchProgress) -> None:
        progress.update(task, total=step.pending, completed=step.sent)

    options = BulkOptions(
        batch_size=batch_size,
        max_batches=max_batches,
        pinned_registry_key=registry_key,
        on_batch=advance,
        status_slots=status_slots,
    )
    with CertifierClient(url) as client, progress:
        summary = bulk_submit(client, records, signer, state, programme=programme, options=options)
    print_summary(console, summary)
    return summary


def print_summary(console: Console, summary: BulkSummary) -> None:
    totals = Table(title="bulk submission")
    totals.add_column("outcome")
    totals.add_column("records", justify="right")
    totals.add_row("accepted", str(summary.accepted))
    totals.add_row("duplicate (already registered)", str(summary.duplicates))
    totals.add_row("skipped (acknowledged in an earlier run)", str(summary.skipped))
    totals.add_row("rejected", str(len(summary.rejected)), style="red" if summary.rejected else None)
    totals.add_row("input records", str(summary.total))
    console.print(totals)
    if summary.rejected:
        rejected = Table(title="rejected records")
        for column in ("licence", "rows", "problem", "detail"):
            rejected.add_column(column, overflow="fold")
        for item in summary.rejected[:MAX_REJECTIONS_SHOWN]:
            problem = item.problem.slug + (f" [{item.problem.code}]" if item.problem.code else "")
            # Text, not markup: licence numbers and registry details may contain [brackets].
            rejected.add_row(Text(item.key), ", ".join(map(str, item.rows)), Text(problem), Text(item.problem.detail))
        console.print(rejected)
        if len(summary.rejected) > MAX_REJECTIONS_SHOWN:
            console.print(f"… and {len(summary.rejected) - MAX_REJECTIONS_SHOWN} more rejected records")
    if not summary.complete:
        console.print(f"stopped after {summary.batches} batch(es) as asked; run again to continue")
