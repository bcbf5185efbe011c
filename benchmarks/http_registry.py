"""A registry under test: scratch database, `serve` process, a registered programme, and helpers to read
its tables from the harness (to check what wrk's requests really stored)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, MetaData, func, select

from benchmarks.credentials import Issuer
from benchmarks.databases import scratch_url
from benchmarks.model import Backend, Context
from benchmarks.registry_client import register
from benchmarks.servers import Server, registry_server
from ecolabel_registry.db.engine import build_engine, read_snapshot
from ecolabel_registry.db.migrate import upgrade


@dataclass(frozen=True)
class Registry:
    backend: Backend
    server: Server
    engine: Engine  # the harness's own engine on the server's database, for checks and raw limits
    issuer: Issuer
    tables: MetaData  # reflected once (reflection takes about a second on PostgreSQL)


@contextmanager
def running_registry(
    ctx: Context,
    backend: Backend,
    name: str,
    replicas: Callable[[str], list[str]] | None = None,
    settings: dict[str, str] | None = None,
) -> Iterator[Registry]:
    """A freshly migrated scratch database served by `ecolabel-registry serve`, with one programme.

    `replicas`, given the database's URL, returns the URLs of read replicas for the server to use;
    `settings`: more `ECOLABEL_*` variables for the server."""
    with scratch_url(ctx, backend) as url:
        upgrade(url)
        engine = build_engine(url, pool_size=2)
        try:
            extra = dict(settings or {})
            if replicas:
                extra["ECOLABEL_DATABASE_REPLICA_URLS"] = ",".join(replicas(url))
            ctx.progress(f"starting `ecolabel-registry serve` on {backend}")
            with registry_server(ctx, f"{name}-{backend}", url, extra) as server:
                issuer = Issuer()
                register(server, issuer)
                tables = MetaData()
                tables.reflect(engine)
                yield Registry(backend, server, engine, issuer, tables)
        finally:
            engine.dispose()


def table_rows(registry: Registry) -> dict[str, int]:
    """Row count of every table, all read in one snapshot (what a workload wrote is the difference of two of
    these). In PostgreSQL's default READ COMMITTED each count sees its own snapshot, so a group committing
    between two counts is in one table and not in the next, and the rows per certificate of one table drift
    from another's (log entries 0.97 beside certificates 1.00); `read_snapshot` reads them all in REPEATABLE
    READ there, and in one deferred transaction on SQLite, whose first read fixes the snapshot."""
    with read_snapshot(registry.engine) as connection:
        return {
            name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in registry.tables.tables.items()
            if name != "alembic_version"
        }


def written(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)}


def write_lines(path: Path, lines: Iterable[bytes]) -> Path:
    """One request body per line, for the Lua scripts (JSON never contains a raw newline)."""
    with path.open("wb") as out:
        for line in lines:
            out.write(line + b"\n")
    return path
