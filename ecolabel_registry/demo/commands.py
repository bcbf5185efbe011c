"""The `ecolabel-registry demo` and `ecolabel-registry layout` commands (registered in `ecolabel_registry.cli`)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from ecolabel_registry.app import build_context
from ecolabel_registry.db import migrate as migrations
from ecolabel_registry.demo import layout as local_layout
from ecolabel_registry.demo import standby
from ecolabel_registry.demo.keys import DEFAULT_DIRECTORY
from ecolabel_registry.demo.loader import load
from ecolabel_registry.demo.outcome import DemoLoadError, LoadReport, StepReport
from ecolabel_registry.demo.spec import load_world
from ecolabel_registry.errors import ConfigurationError
from ecolabel_registry.settings import Mode, Settings

KeysOption = Annotated[Path, typer.Option(help="directory of the demo's locally generated keys and tokens (0600)")]


def _echo_step(step: StepReport) -> None:
    typer.echo(step.line())
    for note in step.notes:
        typer.echo(f"  {note}")


def _load_demo(settings: Settings, keys: Path, world: Path | None, workers: int | None) -> LoadReport:
    if settings.mode is Mode.PRODUCTION:
        # Demo programmes would sit beside real ones and sign with keys nobody vouches for.
        raise DemoLoadError("refusing to load demo data into a registry in production mode (ECOLABEL_MODE)")
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    context = build_context(settings)
    try:
        return load(context, load_world(world), keys, workers=workers, on_step=_echo_step)
    finally:
        context.engine.dispose()


def demo(
    keys: KeysOption = DEFAULT_DIRECTORY,
    world: Annotated[Path | None, typer.Option(help="a world file instead of the packaged world.json")] = None,
    workers: Annotated[int | None, typer.Option(help="processes that check credentials (default: CPUs, max 4)")] = None,
) -> None:
    """Load the demo world: real programmes, categories, agreements, 5,000+ certificates, supply chains.

    Everything goes through the registry's signed write paths with demo keys generated locally, so every
    document is signed, logged and verifiable. Idempotent: a second run adds nothing. Demo data only.

    Example: ecolabel-registry demo
    """
    try:
        report = _load_demo(Settings(), keys, world, workers)
    except (DemoLoadError, ConfigurationError) as exc:
        typer.echo(f"demo: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(report.lines()[-1])
    typer.echo(f"demo keys and organisation tokens: {keys}/ (locally generated, not any programme's keys)")


def layout(
    *,
    serve: Annotated[int, typer.Option(min=1, max=32, help="API processes, on consecutive ports")] = 2,
    worker: Annotated[bool, typer.Option(help="also run the webhook delivery worker")] = True,
    host: Annotated[str, typer.Option(help="address the API processes listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port of the first API process")] = 8000,
    migrate: Annotated[bool, typer.Option(help="migrate the database before starting")] = True,
    create_database: Annotated[bool, typer.Option(help="create the PostgreSQL database if it is missing")] = False,
    demo_world: Annotated[bool, typer.Option("--demo", help="load the demo world before starting")] = False,
    keys: KeysOption = DEFAULT_DIRECTORY,
    witnesses: Annotated[
        int, typer.Option(min=0, max=8, help="local witnesses, on the ports after the API processes'")
    ] = 2,
    witness_dir: Annotated[
        Path, typer.Option(help="where each witness keeps its own key and state (w1/, w2/, …)")
    ] = Path("var/witnesses"),
    replica: Annotated[
        int,
        typer.Option(min=0, max=8, help="hot standbys of the local cluster (pg_createcluster, ports 5433…), for reads"),
    ] = 0,
) -> None:
    """Run the production layout locally: several `serve` processes, a worker and witnesses, on PostgreSQL.

    The database is ECOLABEL_DATABASE_URL. Put a reverse proxy in front of the printed URLs (see
    docs/DEPLOYMENT.md). Ctrl-C or SIGTERM stops every process cleanly.

    Example: ecolabel-registry layout --serve 2 --worker --witnesses 2 --create-database --demo
    """
    settings = Settings()
    try:
        local_layout.require_postgresql(settings.database_url)
        if create_database and local_layout.create_database(settings.database_url):
            typer.echo("created the database")
        if migrate:
            migrations.upgrade(settings.database_url)
        if demo_world:
            _load_demo(settings, keys, None, None)
    except (local_layout.LayoutError, DemoLoadError, ConfigurationError) as exc:
        typer.echo(f"layout: {exc}", err=True)
        raise typer.Exit(1) from exc
    with ExitStack() as cleanup:  # the standbys are dropped when the layout stops, however it stops
        try:
            local_layout.prepare_secrets(settings)
            replica_urls = _start_standbys(cleanup, settings.database_url, replica)
            setups = local_layout.prepare_witnesses(witness_dir, witnesses, port + serve, host)
            children = local_layout.start(
                serve=serve,
                worker=worker,
                host=host,
                port=port,
                settings=settings,
                witnesses=setups,
                replica_urls=replica_urls,
            )
        except (local_layout.LayoutError, standby.StandbyError, DemoLoadError, ConfigurationError) as exc:
            typer.echo(f"layout: {exc}", err=True)
            raise typer.Exit(1) from exc
        database = make_url(settings.database_url).render_as_string(hide_password=True)
        extras = (" and a worker" if worker else "") + (f", {witnesses} witness(es)" if witnesses else "")
        typer.echo(f"layout: {serve} API process(es){extras} on {database}")
        for url in replica_urls:
            typer.echo(f"  replica   {make_url(url).render_as_string(hide_password=True)} (hot standby, reads)")
        for child in children:
            typer.echo(f"  {child.name:<9} {child.url or 'webhooks, witnessing':<26} pid {child.process.pid}")
        typer.echo("Put a reverse proxy in front of the API processes (docs/DEPLOYMENT.md). Ctrl-C stops them all.")
        raise typer.Exit(local_layout.supervise(children, typer.echo))


def _start_standbys(cleanup: ExitStack, database_url: str, count: int) -> list[str]:
    """Hot standbys of the layout's cluster, streaming from it; the URLs of the layout's database on each."""
    database = make_url(database_url).database or "postgres"
    urls = []
    for number in range(count):
        typer.echo(f"starting hot standby {number + 1} of {count} (pg_basebackup)")
        cluster = standby.create_standby(database_url)
        cleanup.callback(cluster.remove)
        urls.append(cluster.url(database))
    return urls
