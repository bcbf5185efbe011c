"""`ecolabel-verify monitor | mirror | serve | proof | audit-status-map`: follow the log and check it.

ecolabel-verify monitor --registry http://127.0.0.1:8000 --state monitor.json           # the JSON API
ecolabel-verify monitor --registry http://127.0.0.1:8000 --tiles --key "$KEY" --state m.json   # C2SP tiles
ecolabel-verify monitor mirror/ --tiles --key "$KEY" --state m.json                     # a mirror's tiles
ecolabel-verify mirror http://127.0.0.1:8000/log mirror/ --policy policy.txt
ecolabel-verify serve mirror/ --port 8300
ecolabel-verify proof receipt.json --registry http://127.0.0.1:8000 --out licence.tlog-proof
ecolabel-verify audit-status-map http://127.0.0.1:8000 --key "$KEY"
"""

from __future__ import annotations

import base64
import functools
import json
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from verification.checkpoint import parse_checkpoint_text, verify_checkpoint
from verification.cli import audit as cli_audit
from verification.cli.common import (
    DEFAULT_REGISTRY,
    EXIT_INPUT,
    EXIT_UNREACHABLE,
    RegistryOption,
    console,
    fail,
    load_policy,
    ok,
    plural,
)
from verification.client import RegistryClient, RegistryProblem
from verification.client import mirror as log_mirror
from verification.client import monitor as log_monitor
from verification.client.tiles import TiledLog, TileFetchError
from verification.errors import MalformedInput, VerificationError
from verification.jwk import PublicKey
from verification.note import NoteVerifier, split_note
from verification.policy import Policy
from verification.status_map_audit import StatusMapAudit
from verification.tlog_proof import TlogProof

KeyOption = Annotated[
    str | None,
    typer.Option(help="pin the log's checkpoint verifier key (<name>+<id>+<key>) instead of trusting on first use"),
]
PolicyOption = Annotated[
    Path | None, typer.Option(help="a C2SP tlog-policy file: refuse checkpoints without the witnesses' quorum")
]


def monitor(
    location: Annotated[
        str | None,
        typer.Argument(
            help="with --tiles: a tiles prefix or a mirror's directory (default: the registry's /log)",
            show_default=False,
        ),
    ] = None,
    *,
    registry: RegistryOption = DEFAULT_REGISTRY,
    state: Annotated[Path, typer.Option(help="where the last trusted checkpoint is kept")] = Path("monitor-state.json"),
    full: Annotated[bool, typer.Option(help="re-walk the whole log from leaf 0, not only new leaves")] = False,
    key: KeyOption = None,
    policy: PolicyOption = None,
    tiles: Annotated[
        bool, typer.Option(help="read C2SP tiles (the registry's /log, a mirror, or a directory)")
    ] = False,
    decisions: Annotated[
        Path | None,
        typer.Option(help="a directory of archived decisions to audit against the log (as `audit-decision`)"),
    ] = None,
) -> None:
    """Check that the log only grew since the last run; exit 1 naming the first bad leaf otherwise.

    With --decisions, also replay the log behind every archived decision in the directory and confirm
    or refute each answer (exit 1 on any refutation; see `audit-decision`).

    Example: ecolabel-verify monitor --registry http://127.0.0.1:8000 --state monitor.json
    """
    if location is not None and not tiles:
        # Older releases took the registry as an argument; it still works, as --registry would.
        registry, location = location, None
    url = (location or f"{registry.rstrip('/')}/log") if tiles else registry
    archived = cli_audit.decision_files(decisions) if decisions is not None else []
    previous = log_monitor.MonitorState.from_json(state.read_text(encoding="utf-8")) if state.exists() else None
    loaded = load_policy(policy) if policy is not None else None
    progress = Progress(
        TextColumn("checking leaves"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    )
    task = progress.add_task("leaves", total=None)
    source: TiledLog | RegistryClient = TiledLog.open(url) if tiles else RegistryClient(url)
    try:
        with source, progress:
            new_state, report = log_monitor.run(
                source,
                previous,
                full=full,
                pinned_key=key,
                policy=loaded,
                on_entry=lambda done: progress.update(task, completed=done),
            )
    except log_monitor.MonitorAlarm as exc:
        where = f"\nfirst bad leaf index: {exc.leaf_index}" if exc.leaf_index is not None else ""
        raise fail(f"{exc.diagnostics()}{where}") from exc
    except VerificationError as exc:
        raise fail(exc.diagnostics()) from exc
    except RegistryProblem as exc:
        raise fail(f"the registry answered {exc}", code=EXIT_INPUT) from exc
    except TileFetchError as exc:
        raise fail(f"cannot read the log's tiles at {url}: {exc}", code=EXIT_UNREACHABLE) from exc
    new_state.save(state)
    fetched = f"; {source.requests:,} requests, {source.bytes_fetched:,} bytes" if isinstance(source, TiledLog) else ""
    ok(f"{_growth(previous, report)}; {_checked(report)}{fetched}")
    if archived:
        # The key the monitor trusts for checkpoints is the registry's: it signs decisions too.
        registry_key = PublicKey.from_raw(NoteVerifier.from_string(new_state.verifier_key).public_key)
        reopened: TiledLog | RegistryClient = TiledLog.open(url) if tiles else RegistryClient(url)
        with reopened:
            cli_audit.audit_files(reopened, archived, registry_key)


def _growth(previous: log_monitor.MonitorState | None, report: log_monitor.MonitorReport) -> str:
    if previous is None:
        return f"first run: the log has {plural(report.tree_size, 'leaf', 'leaves')}"
    if report.tree_size == report.previous_size:
        return f"the log has not grown since the last run ({plural(report.tree_size, 'leaf', 'leaves')})"
    return f"the log grew from {report.previous_size:,} to {plural(report.tree_size, 'leaf', 'leaves')}"


def _checked(report: log_monitor.MonitorReport) -> str:
    if report.entries_checked == 0:
        return "no new entries to check"
    return f"checked {plural(report.entries_checked, 'entry', 'entries')} from leaf {report.checked_from:,}"


def audit_status_map(
    url: Annotated[str, typer.Argument(help="the registry's base URL, or with --tiles a tiles prefix or directory")],
    *,
    key: KeyOption = None,
    policy: PolicyOption = None,
    tiles: Annotated[bool, typer.Option(help="read C2SP tiles at URL")] = False,
) -> None:
    """Recompute the status map from the whole log and check every root the registry logged.

    Each `status_map` leaf must be the map of the leaves before it (docs/VERIFIABLE-MAP.md §4.3); exit 1
    naming the first that is not. Run `monitor` too: it checks that these entries are the signed log.

    Example: ecolabel-verify audit-status-map http://127.0.0.1:8000
    """
    loaded = load_policy(policy) if policy is not None else None
    audit = StatusMapAudit()
    source: TiledLog | RegistryClient = TiledLog.open(url) if tiles else RegistryClient(url)
    try:
        with source:
            note = source.witnessed_checkpoint() if loaded is not None else source.checkpoint()
            if loaded is not None:
                size = loaded.verify(note, log_keys=[NoteVerifier.from_string(key)] if key else []).checkpoint.tree_size
            elif key is not None:
                size = verify_checkpoint(note, NoteVerifier.from_string(key)).tree_size
            else:
                size = parse_checkpoint_text(split_note(note)[0]).tree_size
            for entry in source.entries(0, size):
                audit.feed(entry)
    except VerificationError as exc:
        raise fail(exc.diagnostics()) from exc
    except (RegistryProblem, TileFetchError) as exc:
        raise fail(f"the log's source answered {exc}", code=2) from exc
    if audit.next_index != size:
        raise fail(f"the log's source served {audit.next_index} of {size} leaves")
    ok(
        f"recomputed the status map over {size} leaves: {audit.roots_checked} logged roots are right "
        f"({len(audit.tree)} certificates)"
    )


def mirror(
    source: Annotated[str, typer.Argument(help="the tiles prefix to copy (the registry's …/log, or another mirror)")],
    directory: Annotated[Path, typer.Argument(help="the mirror: served as it is by any static web server")],
    key: KeyOption = None,
    policy: PolicyOption = None,
) -> None:
    """Copy the log from its tiles into DIRECTORY, verifying every checkpoint, entry, document and tile.

    Run it again to bring the copy up to date; nothing past the last verified checkpoint is ever kept.

    Example: ecolabel-verify mirror http://127.0.0.1:8000/log mirror --policy policy.txt
    """
    loaded = load_policy(policy) if policy is not None else None
    log_key = _log_key(key, loaded, directory)
    try:
        with TiledLog.open(source) as log:
            report = log_mirror.sync(log, directory, log_key=log_key, policy=loaded)
            fetched = log.bytes_fetched
    except log_mirror.MirrorAlarm as exc:
        where = f"\nfirst bad leaf index: {exc.leaf_index}" if exc.leaf_index is not None else ""
        raise fail(f"{exc.diagnostics()}{where}") from exc
    except VerificationError as exc:
        raise fail(exc.diagnostics()) from exc
    except TileFetchError as exc:
        raise fail(f"cannot read the tiles at {source}: {exc}", code=EXIT_UNREACHABLE) from exc
    ok(
        f"mirrored {source} from {report.previous_size} to {report.tree_size} leaves "
        f"({report.files_written:,} files, {fetched:,} bytes fetched) into {directory}"
    )


def _log_key(key: str | None, policy: Policy | None, directory: Path) -> NoteVerifier:
    try:
        if key is not None:
            return NoteVerifier.from_string(key)
        if policy is not None and policy.logs:
            return policy.logs[0]
        state = log_mirror.MirrorState.load(directory)
        if state is not None:
            return NoteVerifier.from_string(state.log_key)
    except MalformedInput as exc:
        raise fail(exc.diagnostics(), code=EXIT_INPUT) from exc
    raise fail("give the log's checkpoint key with --key, or a --policy whose log line names it", code=EXIT_INPUT)


class _StaticTiles(SimpleHTTPRequestHandler):
    """Serves a tiles directory with tlog-tiles' media types and caching (tlog-tiles "APIs")."""

    def guess_type(self, path: str | Any) -> str:
        return "text/plain; charset=utf-8" if str(path).endswith("/checkpoint") else "application/octet-stream"

    def end_headers(self) -> None:
        mutable = self.path.rstrip("/").endswith("checkpoint")
        self.send_header("Cache-Control", "public, max-age=2" if mutable else "public, max-age=31536000, immutable")
        super().end_headers()

    def list_directory(self, _path: str | Any) -> None:
        self.send_error(404, "not a tile")

    def log_message(self, *_args: Any) -> None:
        return  # a static file server for tests and small mirrors: no access log on stderr


def serve(
    directory: Annotated[Path, typer.Argument(help="a mirror or an export of the tiles")],
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8300,
) -> None:
    """Serve a mirror (or an export) as static files at http://HOST:PORT/, the tiles prefix.

    Example: ecolabel-verify serve mirror --port 8300
    """
    if not (directory / "checkpoint").is_file():
        raise fail(f"{directory} holds no checkpoint: mirror a log into it first", code=EXIT_INPUT)
    handler = functools.partial(_StaticTiles, directory=str(directory))
    with ThreadingHTTPServer((host, port), handler) as server:
        console.print(f"serving {directory} at http://{host}:{port}/ (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            return


def proof(
    receipt_file: Annotated[Path, typer.Argument(help="a receipt (JSON, or a write response holding one)")],
    registry: RegistryOption = DEFAULT_REGISTRY,
    out: Annotated[Path, typer.Option(help="where to write the C2SP tlog-proof")] = Path("receipt.tlog-proof"),
) -> None:
    """Fetch a C2SP tlog-proof of the receipt's leaf against the registry's witnessed checkpoint.

    The proof is self-contained: check it later, offline, with `ecolabel-verify receipt PROOF DOCUMENT`.

    Example: ecolabel-verify proof receipt.json --out new.tlog-proof
    """
    try:
        data = json.loads(receipt_file.read_text(encoding="utf-8"))
        receipt = data.get("receipt", data)
        leaf_index, leaf_hash = int(receipt["leaf_index"]), str(receipt["leaf_hash"])
        with RegistryClient(registry) as client:
            text = client.tlog_proof(leaf_index)
        parsed = TlogProof.parse(text)
        if parsed.leaf_index != leaf_index or _b64(parsed.leaf().leaf_hash) != leaf_hash:
            raise fail("the registry's proof is for another leaf than the receipt's")
    except (KeyError, ValueError) as exc:
        raise fail(f"{receipt_file} is not a receipt: {exc}", code=EXIT_INPUT) from exc
    except VerificationError as exc:
        raise fail(exc.diagnostics()) from exc
    except RegistryProblem as exc:
        raise fail(f"the registry answered {exc}", code=EXIT_INPUT) from exc
    out.write_text(text, encoding="utf-8")
    size = parsed.checkpoint.split("\n")[1]
    ok(f"wrote the proof of leaf {leaf_index} in the tree of size {size} to {out}")


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
