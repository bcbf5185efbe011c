"""`ecolabel-registry`: serve the API, migrate the database, print the OpenAPI document."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
import uvicorn
from sqlalchemy.engine import make_url

from ecolabel_registry.api import schemas as payload_schemas
from ecolabel_registry.app import create_app
from ecolabel_registry.db import migrate as migrations
from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.demo import commands as demo_commands
from ecolabel_registry.observability.logging import uvicorn_log_config
from ecolabel_registry.settings import Settings
from ecolabel_registry.webhooks.matching import Notifier
from ecolabel_registry.webhooks.worker import Policy, run_forever

app = typer.Typer(help="The eco-label registry service.", no_args_is_help=True, pretty_exceptions_enable=False)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (alembic) named by ECOLABEL_DATABASE_URL."""
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
    """Serve the HTTP API with uvicorn."""
    settings = Settings()  # fail fast, in this process, on a bad configuration
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
        # Structured logs (issue 10): JSON lines with request ids, secrets masked; the registry writes its
        # own access line (route template, status, duration, request id), so uvicorn's is off.
        log_config=uvicorn_log_config(settings.log_format, settings.log_level),
        access_log=False,
    )


@app.command()
def worker(
    poll: Annotated[float, typer.Option(help="seconds between polls when nothing is due")] = 0.5,
) -> None:
    """Match new status events to subscriptions and deliver signed webhooks until stopped.

    Needs the registry's signing key (it signs the notifications). SIGTERM finishes the delivery in hand.
    """
    settings = Settings()
    notifier = Notifier.from_settings(settings)  # fail fast, before any work, if the key is missing
    engine = build_engine(settings.database_url, pool_size=2)
    try:
        run_forever(engine, Policy.from_settings(settings), notifier, poll_s=poll)
    finally:
        engine.dispose()


@app.command()
def openapi() -> None:
    """Print the OpenAPI document the server publishes at /openapi.json (`make openapi` saves it)."""
    document = create_app(Settings()).openapi()
    sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n")


@app.command()
def schemas(out: Annotated[Path, typer.Option(help="directory to write the payload JSON Schemas to")]) -> None:
    """Write the JSON Schema of each signed payload profile (`make openapi` keeps them committed)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in sorted(payload_schemas.PAYLOADS):
        text = orjson.dumps(payload_schemas.payload_schema(name), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        (out / f"{name}.schema.json").write_bytes(text + b"\n")


# The demo world and the local production layout (issue 9); their code lives in ecolabel_registry.demo.
app.command("demo")(demo_commands.demo)
app.command("layout")(demo_commands.layout)


def _ensure_sqlite_directory(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
