"""The `ecolabel-registry fsck` and `ecolabel-registry rebuild` commands (registered in `ecolabel_registry.cli`).

Exit codes of `fsck`: 0 the tables equal a replay of the log; 1 a divergence (named on standard error and
recorded, so every API process degrades); 3 the check could not run (another check holds the replica, or
the database or replica could not be read). `rebuild`: 0 done; 1 the log does not replay (the divergence
is named); 3 the target is not empty or cannot be used. Typer's own usage errors exit with 2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import SQLAlchemyError

from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.errors import RegistryError
from ecolabel_registry.integrity import check as checks
from ecolabel_registry.integrity import state
from ecolabel_registry.integrity.divergence import Divergence
from ecolabel_registry.integrity.rebuild import rebuild as rebuild_into
from ecolabel_registry.integrity.rebuild import source_size
from ecolabel_registry.settings import Settings
from ecolabel_registry.signing_key import load_or_create_signing_key

EXIT_DIVERGED = 1
EXIT_CANNOT_RUN = 3


@contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    bar = Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=Console(stderr=True)
    )
    task = bar.add_task(label, total=total)
    with bar:
        yield lambda done: bar.advance(task, done)


def _report(divergence: Divergence) -> None:
    typer.echo("divergence: the tables differ from a replay of the log", err=True)
    for name, value in divergence.to_dict().items():
        typer.echo(f"  {name}: {value}", err=True)


def fsck(
    full: Annotated[bool, typer.Option(help="replay the whole log into a fresh replica, not only new leaves")] = False,
    replica: Annotated[Path | None, typer.Option(help="the replica file (default: ECOLABEL_FSCK_REPLICA_PATH)")] = None,
) -> None:
    """Check every table against a replay of the log; name the first divergence and exit 1 if there is one.

    A clean run by the operator also lifts a divergence recorded earlier: the API processes answer
    /healthz with 200 and sign decisions again.

    Example: ecolabel-registry fsck --full
    """
    settings = Settings()
    engine = build_engine(settings.database_url, pool_size=1)
    try:
        key = load_or_create_signing_key(settings.signing_key_path)
        with engine.connect() as connection:
            verified = state.read(connection).verified_tree_size
        todo = source_size(engine) - (0 if full else verified)
        with _progress("replaying the log", max(todo, 0)) as advance:
            report = checks.run(
                engine,
                settings,
                key,
                replica=replica or settings.fsck_replica_path,
                full=full,
                operator=True,
                progress=advance,
            )
    except (checks.CheckBusy, RegistryError, SQLAlchemyError, OSError) as exc:
        typer.echo(f"fsck: the check could not run: {exc}", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN) from exc
    finally:
        engine.dispose()
    if report.divergence is not None:
        _report(report.divergence)
        raise typer.Exit(EXIT_DIVERGED)
    typer.echo(
        f"ok: the tables equal a replay of the log's {report.tree_size:,} leaves ({report.replayed:,} replayed now)"
    )


def rebuild(
    into: Annotated[str, typer.Option("--into", help="SQLAlchemy URL of an empty database to rebuild into")],
) -> None:
    """Make every table again, in the database INTO, by replaying this registry's log (ECOLABEL_DATABASE_URL).

    INTO is migrated with alembic first; its log must be empty. Supply-chain rows are not rebuilt (their
    identifiers are not in the log; docs/DEPLOYMENT.md).

    Example: ecolabel-registry rebuild --into sqlite:///var/rebuilt.sqlite3
    """
    settings = Settings()
    engine = build_engine(settings.database_url, pool_size=1)
    try:
        key = load_or_create_signing_key(settings.signing_key_path)
        with _progress("rebuilding", source_size(engine)) as advance:
            result = rebuild_into(engine, into, settings, key, progress=advance)
    except Divergence as found:
        _report(found)
        raise typer.Exit(EXIT_DIVERGED) from found
    except (RegistryError, SQLAlchemyError, OSError) as exc:
        typer.echo(f"rebuild: {exc}", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN) from exc
    finally:
        engine.dispose()
    typer.echo(f"rebuilt {result.tree_size:,} leaves; root {result.root_hash.hex()}")
