"""`rebuild`: every table the registry answers from, made again from nothing but its log.

The target database is migrated (alembic) and must hold an empty log; the source's log is replayed into
it from one snapshot (`replay.LogReplay`), and the replayed tree must end at the source's signed head.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from ecolabel_registry.db.engine import read_snapshot
from ecolabel_registry.errors import ConfigurationError
from ecolabel_registry.integrity.check import replica_context
from ecolabel_registry.integrity.divergence import Divergence
from ecolabel_registry.integrity.replay import LogReplay, Progress, ReplayResult
from ecolabel_registry.log import repository as log_repository
from ecolabel_registry.settings import Settings


def source_size(source: Engine) -> int:
    with source.connect() as connection:
        return log_repository.read_head(connection).tree_size


def rebuild(
    source: Engine, target_url: str, settings: Settings, signing_key: Ed25519PrivateKey, *, progress: Progress | None
) -> ReplayResult:
    context = replica_context(settings, signing_key, target_url)
    try:
        with context.engine.connect() as connection:
            if log_repository.read_head(connection).tree_size != 0:
                raise ConfigurationError(f"{context.engine.url!r} already holds a log: rebuild into an empty database")
        with read_snapshot(source) as snapshot:
            head = log_repository.read_head(snapshot)
            result = LogReplay(snapshot, context, progress=progress).run()
        if (result.tree_size, result.root_hash) != (head.tree_size, head.root_hash):
            raise Divergence(
                "log_state",
                1,
                f"{head.tree_size} {head.root_hash.hex()}",
                f"{result.tree_size} {result.root_hash.hex()}",
            )
        return result
    finally:
        context.engine.dispose()
