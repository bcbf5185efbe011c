"""Scratch databases: a SQLite file in the run's temporary directory, or the PostgreSQL database
`ecolabel_bench_<pid>_<n>`, created empty for one figure and removed when it is done (also on Ctrl-C).

The process id in the name keeps two runs on one server (two engineers, or CI beside a developer) from
dropping each other's database, and the number keeps a limit measured in the middle of a figure (which
needs a scratch database of its own) from dropping the figure's; a leftover of a killed run (its process
gone) is dropped by the next run.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from benchmarks.model import Backend, Context, Unavailable
from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.db.migrate import upgrade

POSTGRES_SCRATCH = "ecolabel_bench"  # the prefix: each scratch database is ecolabel_bench_<pid>_<n>
_RUN_DATABASE = re.compile(rf"^{POSTGRES_SCRATCH}_(\d+)_\d+$")
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_numbers = itertools.count(1)


def normalise_postgres_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def postgres_admin(ctx: Context) -> Engine:
    """An autocommit engine on the server's existing database, for CREATE/DROP DATABASE."""
    if make_url(ctx.postgres_url).get_backend_name() != "postgresql":
        raise Unavailable(f"no PostgreSQL URL (got {make_url(ctx.postgres_url).get_backend_name()})")
    admin = create_engine(
        ctx.postgres_url, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"connect_timeout": 5}
    )
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        raise Unavailable(f"PostgreSQL unreachable: {str(exc.orig).strip().splitlines()[0]}") from exc
    return admin


@contextmanager
def scratch_url(ctx: Context, backend: Backend) -> Iterator[str]:
    """The URL of an empty database that is deleted on exit."""
    if backend == "sqlite":
        path = ctx.workdir / f"bench-{next(_numbers)}.sqlite3"
        try:
            yield f"sqlite:///{path}"
        finally:
            for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                leftover.unlink(missing_ok=True)
        return
    admin = postgres_admin(ctx)
    name = f"{POSTGRES_SCRATCH}_{os.getpid()}_{next(_numbers)}"
    try:
        with admin.connect() as connection:
            _drop_leftovers(connection)
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(ctx.postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _drop_leftovers(connection: Connection) -> None:
    """Drop the scratch databases of runs whose process is gone (killed before they could clean up)."""
    for (name,) in connection.execute(text("SELECT datname FROM pg_database")):
        found = _RUN_DATABASE.match(name)
        if found is not None and not _alive(int(found.group(1))):
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def scratch_engine(ctx: Context, backend: Backend, *, migrated: bool) -> Iterator[Engine]:
    """An engine built as the registry builds it (`build_engine`) on a scratch database."""
    with scratch_url(ctx, backend) as url:
        if migrated:
            upgrade(url)
        engine = build_engine(url, pool_size=2)
        try:
            yield engine
        finally:
            engine.dispose()


def settle(engine: Engine) -> None:
    """Statistics, visibility and a flushed WAL after a bulk load, as autovacuum and checkpoints leave a
    database that grew over time: the timing that follows should not pay for the load. Without it, a
    PostgreSQL table loaded a second ago has no statistics, and the planner, taking 10,000 rows for a
    handful, nests a sequential scan in every catalogue lookup (1.4 s instead of 0.2 s per 10,000 lines)."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # outside any transaction: the module's BEGIN is ours
        try:
            raw.driver_connection.execute("ANALYZE")  # type: ignore[union-attr]
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
            connection.execute(text("CHECKPOINT"))
