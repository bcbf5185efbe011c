"""`ecolabel-registry witness keygen | serve`: run a witness as an independent party.

    ecolabel-registry witness keygen --name witness.gen.example/w1 --out witness.key > witness.vkey
    ecolabel-registry witness serve --key witness.key --log "$REGISTRY_KEY" --state witness-state --port 8100

The key file is a signed-note signer key (`PRIVATE+KEY+<name>+…`, the form Go's sumdb/note tools write),
mode 0600; `keygen` prints the cosigner verifier key (signature type 0x04) that the registry's
ECOLABEL_WITNESSES and verifiers' policies name.
"""

from __future__ import annotations

import os
import stat
from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from ecolabel_registry.witness.app import create_witness_app
from verification.cosignature import Cosigner
from verification.errors import MalformedInput
from verification.note import NoteVerifier

app = typer.Typer(help="Run a C2SP tlog-witness that cosigns consistent checkpoints.", no_args_is_help=True)


@app.command()
def keygen(
    name: Annotated[str, typer.Option(help="the witness's name, a schema-less URL, e.g. witness.example.org/w1")],
    out: Annotated[Path, typer.Option(help="where to write the private key (created with mode 0600)")],
) -> None:
    """Create a witness key; print its cosigner verifier key (vkey) on stdout.

    Example: ecolabel-registry witness keygen --name witness.example.org/w1 --out witness.key > witness.vkey
    """
    try:
        cosigner = Cosigner.generate(name)
    except MalformedInput as exc:
        raise typer.BadParameter(exc.detail, param_hint="--name") from exc
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise typer.BadParameter(f"{out} exists; a witness keeps its key", param_hint="--out") from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(cosigner.to_string() + "\n")
    typer.echo(cosigner.key.to_string())


def load_cosigner(path: Path) -> Cosigner:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise typer.BadParameter(f"{path} has mode {mode:o}; it must be readable by its owner only", param_hint="--key")
    try:
        return Cosigner.from_string(path.read_text(encoding="ascii"))
    except MalformedInput as exc:
        raise typer.BadParameter(exc.detail, param_hint="--key") from exc


def parse_logs(vkeys: list[str]) -> dict[str, list[NoteVerifier]]:
    """Each log's verifier keys by origin: a log's key name is its origin (tlog-checkpoint "Signatures")."""
    logs: dict[str, list[NoteVerifier]] = defaultdict(list)
    for vkey in vkeys:
        try:
            key = NoteVerifier.from_string(vkey)
        except MalformedInput as exc:
            raise typer.BadParameter(f"{vkey[:60]}: {exc.detail}", param_hint="--log") from exc
        logs[key.name].append(key)
    return dict(logs)


@app.command()
def serve(
    key: Annotated[Path, typer.Option(help="the witness's private key file (from `keygen`)")],
    log: Annotated[list[str], typer.Option(help="a log's checkpoint verifier key; repeat for more logs")],
    state: Annotated[Path, typer.Option(help="this witness's own state directory")],
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8100,
) -> None:
    """Serve add-checkpoint and the monitoring endpoint until stopped.

    Example: ecolabel-registry witness serve --key witness.key --log "$KEY" --state witness-state --port 8100
    """
    cosigner = load_cosigner(key)
    application = create_witness_app(cosigner, parse_logs(log), state)
    typer.echo(f"witness {cosigner.key.to_string()} on http://{host}:{port}", err=True)
    uvicorn.run(application, host=host, port=port, server_header=False, timeout_keep_alive=5, log_level="info")
