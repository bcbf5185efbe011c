"""`ecolabel-verify`: offline checks of receipts and a monitor that follows a registry's log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from verification import monitor as log_monitor
from verification.catalogue import chunks, read_catalogue, write_results
from verification.client import RegistryClient, RegistryProblem
from verification.decision import verify_saved_eligibility
from verification.errors import VerificationError
from verification.jwk import PublicKey, parse_public_jwk
from verification.leaf import DocumentKind
from verification.note import NoteVerifier
from verification.receipt import Receipt, verify_receipt
from verification.strictjson import loads_strict

ELIGIBILITY_BATCH = 10_000  # the registry's per-request maximum
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


def _registry_key(jwk: str | None, registry: str | None) -> PublicKey:
    if jwk:
        text = Path(jwk).read_text(encoding="utf-8") if Path(jwk).is_file() else jwk
        return parse_public_jwk(loads_strict(text))
    if registry:
        with RegistryClient(registry) as client:
            return parse_public_jwk(client.identity().jwks["keys"][0])
    raise _fail("give the registry's key with --jwk (offline) or --registry URL", code=2)


@app.command()
def decision(
    file: Annotated[Path, typer.Argument(help="a saved eligibility answer, or a bundle written by `eligibility`")],
    jwk: Annotated[
        str | None, typer.Option(help="the registry's public JWK (JSON text or file): fully offline")
    ] = None,
    registry: Annotated[str | None, typer.Option(help="or fetch the key from this registry's well-known URL")] = None,
) -> None:
    """Check an archived decision offline: the registry's signature, its checkpoint, and every result."""
    key = _registry_key(jwk, registry)
    saved = loads_strict(file.read_bytes(), max_bytes=256 * 1_048_576)
    bundle = saved.get("decisions", [saved]) if isinstance(saved, dict) else []
    try:
        checked = [verify_saved_eligibility(item, key) for item in bundle]
    except VerificationError as exc:
        raise _fail(exc.diagnostics()) from exc
    if not checked:
        raise _fail("the file holds no decision")
    items = sum(d.item_count for d in checked)
    eligible = sum(d.eligible_count for d in checked)
    # The checkpoint was verified with the decision; its second line is the tree size (tlog-checkpoint).
    size = checked[0].checkpoint.split("\n")[1]
    console.print(
        f"[bold green]OK[/] {len(checked)} decision(s) signed by {checked[0].issuer} cover {items} items "
        f"({eligible} eligible), computed against the log at size {size}"
    )


@app.command()
def eligibility(
    catalogue: Annotated[
        Path, typer.Argument(help="CSV: ref, certificate_id | programme+licence_number | gtin[, model]")
    ],
    *,
    url: Annotated[str, typer.Option(envvar="ECOLABEL_REGISTRY_URL", help="the registry")] = "http://127.0.0.1:8000",
    accept: Annotated[
        list[str] | None, typer.Option(help="an accepted label: programme[:category] (repeatable)")
    ] = None,
    cpv: Annotated[str | None, typer.Option(help="the tender's CPV code (labels via the crosswalk)")] = None,
    cn_procurement: Annotated[str | None, typer.Option(help="China procurement item code")] = None,
    equivalents: Annotated[bool, typer.Option(help="accept labels recognised as equivalent")] = True,
    market: Annotated[list[str] | None, typer.Option(help="a market the licence must cover (repeatable)")] = None,
    date: Annotated[str | None, typer.Option(help="judge on this date (RFC 3339); default now")] = None,
    out: Annotated[Path, typer.Option(help="results CSV")] = Path("eligibility.csv"),
    decisions: Annotated[Path, typer.Option(help="the signed decisions, to archive")] = Path(
        "eligibility-decision.json"
    ),
) -> None:
    """Run a catalogue through the registry with a progress bar; write results and the signed decisions."""
    items = read_catalogue(catalogue)
    requirement: dict[str, object] = {"equivalents": equivalents, "markets": market or []}
    requirement["accepted"] = [
        dict(zip(("programme", "category"), label.split(":", 1), strict=False)) for label in accept or []
    ]
    if cpv:
        requirement["cpv"] = cpv
    if cn_procurement:
        requirement["cn_procurement"] = cn_procurement
    saved: list[dict[str, object]] = []
    results: list[dict[str, object]] = []
    progress = Progress(
        TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    )
    try:
        with RegistryClient(url) as client, progress:
            task = progress.add_task("items", total=len(items))
            key = parse_public_jwk(client.identity().jwks["keys"][0])
            for part in chunks(items, ELIGIBILITY_BATCH):
                answer = client.eligibility(requirement, part, date)
                verify_saved_eligibility(answer, key)  # never archive evidence that does not verify
                saved.append(answer)
                results.extend(answer["results"])
                progress.update(task, advance=len(part))
    except RegistryProblem as exc:
        raise _fail(f"the registry answered {exc}", code=2) from exc
    except VerificationError as exc:
        raise _fail(exc.diagnostics(), code=4) from exc
    write_results(out, results)
    decisions.write_bytes(json.dumps({"decisions": saved}, ensure_ascii=False).encode())
    eligible = sum(1 for r in results if r["eligible"])
    console.print(
        f"[bold green]OK[/] {eligible} of {len(results)} items eligible; results in {out}, evidence in {decisions}"
    )


def main() -> None:
    app()
