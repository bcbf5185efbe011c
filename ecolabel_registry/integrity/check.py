"""`fsck`: replay the log into a replica, then compare every table with the live database.

The replica is a SQLite file that holds a replay of the log (`replay.LogReplay`) up to the size last
checked: a check replays only the leaves logged since, then compares all rows, so a check costs one read
of the tables plus the verification of the new leaves. `full` starts the replica afresh. Everything is
read from one snapshot of the live database, so rows written during the check are neither missed nor
half-seen. The registry's latest signed checkpoint must verify and commit to the replayed tree.

A divergence discards the replica (the next check replays from the first leaf), and is recorded in the
live database (`state`), where every API process reads it.
"""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from ecolabel_registry.clock import now_us
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import build_engine, read_snapshot, write_connection
from ecolabel_registry.integrity import state
from ecolabel_registry.integrity.compare import first_difference
from ecolabel_registry.integrity.divergence import Divergence
from ecolabel_registry.integrity.replay import LogReplay, Progress
from ecolabel_registry.log import repository as log_repository
from ecolabel_registry.settings import Settings
from verification.checkpoint import verify_checkpoint
from verification.errors import VerificationError
from verification.note import NoteSigner


class CheckBusy(Exception):
    """Another check (of this machine) holds the replica; never an answer to a request."""


@dataclass(frozen=True)
class CheckReport:
    tree_size: int
    replayed: int
    divergence: Divergence | None


@contextmanager
def _replica_file(path: Path | None, *, wait: bool) -> Iterator[Path]:
    """The replica's path, locked for this process (fcntl) so that two checks never replay into it at once."""
    if path is None:
        with tempfile.TemporaryDirectory(prefix="ecolabel-fsck-") as directory:
            yield Path(directory) / "replica.sqlite3"
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise CheckBusy(f"another check is using {path}") from exc
        try:
            yield path
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _replica_of(live: Engine, path: Path) -> bool:
    """Whether the replica file replays this very log (its first and last leaves are the live log's).

    A replica left by another registry (a copied `var/`, a test, a restored machine) would otherwise be
    compared with this one and report a divergence that is not there; it is started afresh instead. A
    live log rewritten at those leaves starts a fresh replica too, whose replay then names the rewrite.
    """
    if not path.exists():
        return True
    engine = build_engine(f"sqlite:///{path}", pool_size=1)
    try:
        with engine.connect() as connection:
            size = log_repository.read_head(connection).tree_size
            ends = sorted({0, size - 1}) if size else []
            replayed = log_repository.fetch_nodes(connection, [(0, i) for i in ends])
    except SQLAlchemyError:
        return False  # not a replica at all
    finally:
        engine.dispose()
    with live.connect() as connection:
        if log_repository.read_head(connection).tree_size < size:
            return False
        logged = log_repository.fetch_nodes(connection, [(0, i) for i in ends])
    return replayed == logged


def _discard(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def replica_context(settings: Settings, signing_key: Ed25519PrivateKey, url: str) -> RegistryContext:
    """A context whose engine is the replica: the write paths replay into it with the registry's own keys."""
    # Imported here: alembic (and mako) are ~12 MB of every serving process that only a check needs.
    from ecolabel_registry.db import migrate as migrations  # noqa: PLC0415

    migrations.upgrade(url)
    return RegistryContext(
        settings=settings,
        engine=build_engine(url, pool_size=1),
        signing_key=signing_key,
        note_signer=NoteSigner.from_private_key(settings.log_origin, signing_key),
        admin_token=settings.resolved_admin_token(),
    )


def check(
    live: Engine,
    settings: Settings,
    signing_key: Ed25519PrivateKey,
    *,
    replica: Path | None,
    full: bool = False,
    wait: bool = True,
    progress: Progress | None = None,
) -> CheckReport:
    """Replay what is new into the replica and compare; does not record the result (see `run`)."""
    with _replica_file(replica, wait=wait) as path:
        if full or not _replica_of(live, path):
            _discard(path)
        context = replica_context(settings, signing_key, f"sqlite:///{path}")
        try:
            with context.engine.connect() as connection:
                before = log_repository.read_head(connection).tree_size
            size = before
            divergence = _catch_up(live, context, progress)
            if divergence is None:
                with read_snapshot(live) as snapshot:
                    size = log_repository.read_head(snapshot).tree_size
                    divergence = _replay_and_compare(snapshot, context, progress)
        finally:
            context.engine.dispose()
        if divergence is not None:
            _discard(path)  # it may hold what the tampered log made of it: start afresh next time
    return CheckReport(size, max(0, size - before), divergence)


def _catch_up(live: Engine, context: RegistryContext, progress: Progress | None) -> Divergence | None:
    """Replay up to the head as it is now, outside any long snapshot: a logged leaf never changes, so
    the long part of a first check holds no PostgreSQL snapshot open (and no vacuum back) for its length;
    the snapshot then covers only the leaves logged meanwhile and the comparison."""
    try:
        with live.connect() as connection:
            LogReplay(connection, context, progress=progress).run()
    except Divergence as found:
        return found
    return None


def _replay_and_compare(snapshot: Connection, context: RegistryContext, progress: Progress | None) -> Divergence | None:
    try:
        replayed = LogReplay(snapshot, context, progress=progress).run()
    except Divergence as found:
        return found
    head = log_repository.read_head(snapshot)
    if head.checkpoint is not None:
        try:
            signed = verify_checkpoint(head.checkpoint, context.note_signer.verifier())
        except VerificationError as exc:
            return Divergence("log_state", "checkpoint", "a checkpoint signed by the registry", exc.detail)
        if (signed.tree_size, signed.root_hash) != (replayed.tree_size, replayed.root_hash):
            return Divergence(
                "log_state",
                "checkpoint",
                f"{replayed.tree_size} {replayed.root_hash.hex()}",
                f"{signed.tree_size} {signed.root_hash.hex()}",
            )
    with context.engine.connect() as expected:
        return first_difference(expected, snapshot)


def run(
    live: Engine,
    settings: Settings,
    signing_key: Ed25519PrivateKey,
    *,
    replica: Path | None,
    full: bool = False,
    operator: bool,
    wait: bool = True,
    progress: Progress | None = None,
) -> CheckReport:
    """Check and record the result in the live database. Only the operator's clean run (`operator`) lifts
    a recorded divergence; a server's periodic check can only raise one."""
    report = check(live, settings, signing_key, replica=replica, full=full, wait=wait, progress=progress)
    with write_connection(live) as connection:
        if report.divergence is not None:
            state.record_divergence(connection, report.divergence, now_us())
        else:
            state.record_clean(connection, report.tree_size, now_us(), clear=operator)
    return report
