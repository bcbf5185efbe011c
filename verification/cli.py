"""`ecolabel-verify`: offline checks of receipts and a monitor that follows a registry's log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from verification import monitor as log_monitor
from verification.client import RegistryClient, RegistryProblem
from verification.errors import VerificationError
from verification.leaf import DocumentKind
from verification.note import NoteVerifier
from verification.receipt import Receipt, verify_receipt

app = typer.Typer(
    help="Verify eco-label registry evidence offline.", no_args_is_help=True, pretty_exceptions_enable=False
)
console = Console(stderr=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    # soft_wrap: a failure line is evidence people grep and paste; it must not be broken up.
    console.print(f"[bold red]FAILED[/] {message}", soft_wrap=True)
    return typer.Exit(code)


@app.command()
def receipt(
    receipt_file: Annotated[Path, typer.Argument(help="JSON file holding the receipt (or a write response with one)")],
    document_file: Annotated[Path, typer.Argument(help="the exact document bytes that were submitted")],
    key: Annotated[str, typer.Option(help="the registry's checkpoint verifier key (<name>+<id>+<key>)")],
) -> None:
    """Check, offline, that a document is in the registry's log as its receipt claims."""
    data = json.loads(receipt_file.read_text(encoding="utf-8"))
    try:
        parsed = Receipt.from_dict(data.get("receipt", data))
        checkpoint = verify_receipt(parsed, _document_bytes(document_file, parsed.kind), NoteVerifier.from_string(key))
    except VerificationError as exc:
        raise _fail(exc.diagnostics()) from exc
    console.print(
        f"[bold green]OK[/] leaf {parsed.leaf_index} ({parsed.kind.value}) is in {checkpoint.origin} "
        f"at tree size {checkpoint.tree_size}"
    )


def _document_bytes(path: Path, kind: DocumentKind) -> bytes:
    """The file's bytes; for JWS kinds without surrounding whitespace, which a compact JWS never contains
    (files saved by tools usually end in a newline). Programme registrations are JSON: taken exactly."""
    data = path.read_bytes()
    return data if kind is DocumentKind.PROGRAMME else data.strip()


@app.command()
def monitor(
    url: Annotated[str, typer.Argument(help="the registry's base URL, e.g. http://127.0.0.1:8000")],
    state: Annotated[Path, typer.Option(help="where the last trusted checkpoint is kept")] = Path("monitor-state.json"),
    full: Annotated[bool, typer.Option(help="re-walk the whole log from leaf 0, not only new leaves")] = False,
    key: Annotated[
        str | None, typer.Option(help="pin this checkpoint verifier key instead of trusting on first use")
    ] = None,
) -> None:
    """Check that the log only grew since the last run; exit 1 naming the first bad leaf otherwise."""
    previous = log_monitor.MonitorState.from_json(state.read_text(encoding="utf-8")) if state.exists() else None
    progress = Progress(
        TextColumn("checking leaves"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    )
    task = progress.add_task("leaves", total=None)
    try:
        with RegistryClient(url) as client, progress:
            new_state, report = log_monitor.run(
                client, previous, full=full, pinned_key=key, on_entry=lambda done: progress.update(task, completed=done)
            )
    except log_monitor.MonitorAlarm as exc:
        where = f"\nfirst bad leaf index: {exc.leaf_index}" if exc.leaf_index is not None else ""
        raise _fail(f"{exc.diagnostics()}{where}") from exc
    except VerificationError as exc:
        raise _fail(exc.diagnostics()) from exc
    except RegistryProblem as exc:
        raise _fail(f"the registry answered {exc}", code=2) from exc
    new_state.save(state)
    console.print(
        f"[bold green]OK[/] log grew from {report.previous_size} to {report.tree_size} leaves; "
        f"checked {report.entries_checked} entries from leaf {report.checked_from}"
    )


def main() -> None:
    app()
