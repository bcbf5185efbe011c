"""`ecolabel-registry`: serve the API, migrate, run the worker, export tiles, run a witness, print the OpenAPI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import httpx
import orjson
import typer
import uvicorn
from sqlalchemy.engine import make_url

from ecolabel_registry import worker as background
from ecolabel_registry.api import schemas as payload_schemas
from ecolabel_registry.app import create_app
from ecolabel_registry.clock import now_us
from ecolabel_registry.db import migrate as migrations
from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.demo import commands as demo_commands
from ecolabel_registry.errors import ConfigurationError
from ecolabel_registry.integrity import commands as integrity_commands
from ecolabel_registry.log import export, shrinkage
from ecolabel_registry.observability.logging import uvicorn_log_config
from ecolabel_registry.opendata import dumps, load
from ecolabel_registry.settings import Settings
from ecolabel_registry.signing_key import load_or_create_signing_key
from ecolabel_registry.statistics import refresh
from ecolabel_registry.status_map import service as status_map
from ecolabel_registry.witness import cli as witness_cli
from verification.cli.common import CONTEXT, add_version_option, run
from verification.note import NoteSigner

WORKER_HEALTHCHECK_S = 60

app = typer.Typer(
    help="The eco-label registry service.",
    epilog="Exit codes: 0 done; 1 failed (the message says why); 2 usage mistake.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT,
)
add_version_option(app, "ecolabel-registry")


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (alembic) named by ECOLABEL_DATABASE_URL.

    Example: ECOLABEL_DATABASE_URL=sqlite:///var/registry.sqlite3 ecolabel-registry migrate
    """
    settings = Settings()
    _ensure_sqlite_directory(settings.database_url)
    migrations.upgrade(settings.database_url)
    typer.echo("database is at the latest migration")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (use PostgreSQL for more than one).")] = 1,
) -> None:
    """Serve the HTTP API and the console with uvicorn.

    Example: ecolabel-registry serve --host 127.0.0.1 --port 8000 --workers 4
    """
    settings = Settings()  # fail fast, in this process, on a bad configuration
    _refuse_a_shrunk_log(settings)
    if sys.stderr.isatty():  # for a person at a terminal; logs collected by a supervisor stay JSON lines
        typer.echo(where_to_look(host, port), err=True)
    uvicorn.run(
        "ecolabel_registry.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=10,
        # With --workers N uvicorn pings each worker and replaces one that does not answer within this
        # time, starting up included: a worker answers only once it has imported the registry, which
        # takes seconds, over 5 s (uvicorn's default) on a busy host, where workers were replaced forever.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
        # Structured logs: JSON lines with request ids, secrets masked; the registry writes its
        # own access line (route template, status, duration, request id), so uvicorn's is off.
        log_config=uvicorn_log_config(settings.log_format, settings.log_level),
        access_log=False,
    )


@app.command()
def worker(
    poll: Annotated[float, typer.Option(help="seconds between polls when nothing is due")] = 0.5,
    once: Annotated[bool, typer.Option(help="one turn of each task, then exit")] = False,
) -> None:
    """Match and deliver signed webhooks, and submit new checkpoints to the witnesses, until stopped.

    Needs the registry's signing key (it signs the notifications); witnesses come from
    ECOLABEL_WITNESSES. SIGTERM finishes the delivery or submission in hand.

    Example: ecolabel-registry worker --once
    """
    settings = Settings()
    _refuse_a_shrunk_log(settings)
    engine = build_engine(settings.database_url, pool_size=2)
    try:
        background.run(engine, settings, poll_s=poll, once=once)
    finally:
        engine.dispose()


@app.command()
def openapi() -> None:
    """Print the OpenAPI document the server publishes at /openapi.json (`make openapi` saves it).

    Example: ecolabel-registry openapi > openapi.json
    """
    document = create_app(Settings()).openapi()
    sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n")


@app.command()
def schemas(out: Annotated[Path, typer.Option(help="directory to write the payload JSON Schemas to")]) -> None:
    """Write the JSON Schema of each signed payload profile (`make openapi` keeps them committed).

    Example: ecolabel-registry schemas --out openapi/schemas
    """
    out.mkdir(parents=True, exist_ok=True)
    for name in sorted(payload_schemas.PAYLOADS):
        text = orjson.dumps(payload_schemas.payload_schema(name), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        (out / f"{name}.schema.json").write_bytes(text + b"\n")


tiles_app = typer.Typer(help="The log as C2SP tlog-tiles static files.", no_args_is_help=True)
app.add_typer(tiles_app, name="tiles")
app.add_typer(witness_cli.app, name="witness")


@tiles_app.command("export")
def tiles_export(
    directory: Annotated[Path, typer.Argument(help="where to write the tiles (the log's URL prefix)")],
) -> None:
    """Write (or bring up to date) the log's checkpoint, tiles and bundles as static files in DIRECTORY.

    Example: ecolabel-registry tiles export var/tiles
    """
    settings = Settings()
    engine = build_engine(settings.database_url, pool_size=1)
    try:
        signer = NoteSigner.from_private_key(settings.log_origin, load_or_create_signing_key(settings.signing_key_path))
        report = export.export(engine, signer, [w.key for w in settings.witnesses], directory)
    finally:
        engine.dispose()
    typer.echo(
        f"exported the log at tree size {report.tree_size:,} to {directory}: {report.written:,} files written "
        f"({report.bytes_written:,} bytes), {report.kept:,} kept"
    )


status_map_app = typer.Typer(help="The verifiable map from certificate id to status-chain head.", no_args_is_help=True)
app.add_typer(status_map_app, name="status-map")


@status_map_app.command("enable")
def status_map_enable() -> None:
    """Build the status map from the certificate tables and log its root; from then on every
    transaction that logs a certificate or a status event also logs the map's new root, as its last
    leaf (docs/VERIFIABLE-MAP.md). Once on, it stays on.

    Example: ecolabel-registry status-map enable
    """
    receipt = status_map.enable_with(Settings())
    if receipt is None:
        typer.echo("the status map was already on")
    else:
        typer.echo(f"the status map is on: its first root is leaf {receipt.leaf_index:,}")


@app.command("statistics-refresh")
def statistics_refresh() -> None:
    """Bring the open-data statistics up to the log's head now (the worker and the API do it too; run it
    after a migration on a large registry, so that no request waits for the first full count).

    Example: ecolabel-registry statistics-refresh
    """
    settings = Settings()
    engine = build_engine(settings.database_url, pool_size=1)
    try:
        state = refresh.refresh(engine)
    finally:
        engine.dispose()
    typer.echo(f"statistics reflect the log at tree size {state.tree_size:,}")


dump_app = typer.Typer(help="Signed bulk downloads of public data (docs/FORMATS.md).", no_args_is_help=True)
app.add_typer(dump_app, name="dump")


@dump_app.command("write")
def dump_write(
    out: Annotated[Path | None, typer.Option(help="where to write it (default: ECOLABEL_DUMP_DIRECTORY)")] = None,
    since: Annotated[int | None, typer.Option(help="only what leaves from this index on added or changed")] = None,
) -> None:
    """Write a dump of public data now, pinned to the log's head, with a manifest signed by the registry.

    Example: ecolabel-registry dump write --out var/dumps
    """
    settings = Settings()
    directory = out or settings.dump_directory
    if directory is None:
        raise typer.BadParameter("give --out or set ECOLABEL_DUMP_DIRECTORY")
    engine = build_engine(settings.database_url, pool_size=1)
    try:
        key = load_or_create_signing_key(settings.signing_key_path)
        manifest = dumps.write_dump(engine, key, directory, since=since, now_us=now_us())
    finally:
        engine.dispose()
    name = dumps.dump_name(manifest.tree_size, manifest.since)
    rows = sum(f.rows for f in manifest.files if f.path.endswith(".jsonl"))
    typer.echo(f"wrote {directory / name}: {rows:,} rows at tree size {manifest.tree_size:,}")


@dump_app.command("load")
def dump_load(directory: Annotated[Path, typer.Argument(help="a verified dump directory")]) -> None:
    """Load a dump's JSON Lines into the (empty, migrated) database at ECOLABEL_DATABASE_URL, for analysis.

    Example: ecolabel-registry dump load var/dumps/dump-000123
    """
    settings = Settings()
    engine = build_engine(settings.database_url, pool_size=1)
    try:
        counts = load.load_dump(engine, directory)
    finally:
        engine.dispose()
    typer.echo(", ".join(f"{table}: {count:,}" for table, count in counts.items()))


# The demo world and the local production layout; their code lives in ecolabel_registry.demo.
app.command("demo")(demo_commands.demo)
app.command("layout")(demo_commands.layout)
# The log is the source of truth: check the tables against it, or make them again from it.
app.command("fsck")(integrity_commands.fsck)
app.command("rebuild")(integrity_commands.rebuild)


def _refuse_a_shrunk_log(settings: Settings) -> None:
    """Exit (status 1, LOG_SHRANK) if the log is shorter than a checkpoint already signed or witnessed."""
    engine = build_engine(settings.database_url, pool_size=1)
    signer = NoteSigner.from_private_key(settings.log_origin, load_or_create_signing_key(settings.signing_key_path))
    try:
        with httpx.Client(timeout=settings.witness_timeout_s) as client:
            shrinkage.check(
                engine,
                record=settings.checkpoint_record,
                verifier=signer.verifier(),
                witnesses=settings.witnesses,
                client=client,
            )
    except ConfigurationError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


def where_to_look(host: str, port: int) -> str:
    """The addresses a newcomer wants first, printed before the server's own log lines."""
    # A wildcard address is reachable on the loopback one, which a browser can open.
    shown = f"[{host}]" if ":" in host else ("127.0.0.1" if host in ("0.0.0.0", "") else host)  # noqa: S104
    base = f"http://{shown}:{port}"
    return f"console: {base}/console/\nAPI documentation: {base}/docs\nOpenAPI contract: {base}/openapi.json"


def _ensure_sqlite_directory(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def main() -> None:
    run(app)


if __name__ == "__main__":
    main()
