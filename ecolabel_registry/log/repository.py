"""Every query the log makes, in SQLAlchemy Core: appends are on the hot path of every write."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, RowMapping, Select, and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import NoResultFound

from ecolabel_registry.db.bulk import PrebuiltWrite, as_sqlalchemy_error, insert_rows
from ecolabel_registry.db.models import LogCheckpoint, LogEntry, LogNode, LogState
from ecolabel_registry.db.raw import Prebuilt
from ecolabel_registry.errors import LogIntegrityError
from ecolabel_registry.log.tree import NodeKey, split_frontier

state_table = LogState.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ on table classes
entries_table = LogEntry.__table__  # type: ignore[attr-defined]
nodes_table = LogNode.__table__  # type: ignore[attr-defined]
checkpoints_table = LogCheckpoint.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Head:
    tree_size: int
    root_hash: bytes
    frontier: list[bytes]
    last_integrated_us: int
    checkpoint: str | None


@dataclass(frozen=True)
class NewEntry:
    """A leaf as stored: written by an append, read back by the entries endpoint."""

    leaf_index: int
    kind: str
    integrated_us: int
    document: bytes
    document_sha256: bytes
    leaf_hash: bytes


def _head(row: RowMapping | Mapping[str, Any]) -> Head:
    return Head(
        tree_size=row["tree_size"],
        root_hash=bytes(row["root_hash"]),
        frontier=split_frontier(bytes(row["frontier"])),
        last_integrated_us=row["last_integrated_us"],
        checkpoint=row["checkpoint"],
    )


_HEAD_COLUMNS = (
    state_table.c.tree_size,
    state_table.c.root_hash,
    state_table.c.frontier,
    state_table.c.last_integrated_us,
    state_table.c.checkpoint,
)

# Built once: SQLAlchemy then reuses the compiled statement and its cache key. Building the same select
# on every call cost more than running it (read_head 83 -> 27 µs on SQLite; BENCHMARKS.md).
_READ_HEAD = select(*_HEAD_COLUMNS).where(state_table.c.id == 1)
_LOCK_HEAD = _READ_HEAD.with_for_update()
# Inside a transaction already begun, as every append's is, on the driver's cursor (`db.raw`): through
# `Connection.execute` the read cost the writer ~90 µs of CPU, most of it SQLAlchemy's (BENCHMARKS.md).
_LOCK_HEAD_ON_CURSOR = Prebuilt(_LOCK_HEAD)


def lock_head(connection: Connection) -> Head:
    """Read the head and hold it until the transaction ends.

    On PostgreSQL, `FOR UPDATE` makes every appender wait for the one before it to commit or roll
    back, so leaf indexes have no gap and no duplicate across processes. On SQLite the write
    transaction began with BEGIN IMMEDIATE and already excludes other writers.
    """
    if not connection.in_transaction():  # the transaction's BEGIN is SQLAlchemy's, on its first statement
        return _head(connection.execute(_LOCK_HEAD).mappings().one())
    with as_sqlalchemy_error(connection, "(the log head's read)"):
        row = _LOCK_HEAD_ON_CURSOR.first(connection)
    if row is None:
        raise NoResultFound("No row was found when one was required")  # as `.one()` says it
    return _head(row)


def read_head(connection: Connection) -> Head:
    return _head(connection.execute(_READ_HEAD).mappings().one())


def store_append(
    connection: Connection,
    entries: Sequence[NewEntry],
    nodes: dict[NodeKey, bytes],
    head: Head,
) -> None:
    insert_rows(
        connection,
        entries_table,
        [
            {
                "leaf_index": e.leaf_index,
                "kind": e.kind,
                "integrated_us": e.integrated_us,
                "document": e.document,
                "document_sha256": e.document_sha256,
                "leaf_hash": e.leaf_hash,
            }
            for e in entries
        ],
    )
    insert_rows(
        connection, nodes_table, [{"level": level, "idx": idx, "hash": value} for (level, idx), value in nodes.items()]
    )
    moved = {
        "new_tree_size": head.tree_size,
        "new_root_hash": head.root_hash,
        "new_frontier": b"".join(head.frontier),
        "new_last_integrated_us": head.last_integrated_us,
        "new_checkpoint": head.checkpoint,
    }
    if head.checkpoint is not None and connection.dialect.name == "postgresql":
        _CHECKPOINT_AND_HEAD.run(connection, moved)  # one statement, one round trip
        return
    if head.checkpoint is not None:
        insert_rows(connection, checkpoints_table, [{"tree_size": head.tree_size, "note": head.checkpoint}])
    _UPDATE_HEAD.run(connection, moved)


# Built once, like the head's read: every append (a group commit's too) runs them, on the driver's cursor
# (`db.bulk.PrebuiltWrite`; the checkpoint's row on SQLite by `insert_rows`, which does the same).
_UPDATE_HEAD_STATEMENT = (
    update(state_table)
    .where(state_table.c.id == 1)
    .values(
        tree_size=bindparam("new_tree_size"),
        root_hash=bindparam("new_root_hash"),
        frontier=bindparam("new_frontier"),
        last_integrated_us=bindparam("new_last_integrated_us"),
        checkpoint=bindparam("new_checkpoint"),
    )
)
# The checkpoint's insert as a data-modifying CTE of the head's update (PostgreSQL, §7.8.4 of its manual):
# the same two rows in one statement. SQLite has no INSERT inside WITH.
_UPDATE_HEAD = PrebuiltWrite(_UPDATE_HEAD_STATEMENT)
_CHECKPOINT_AND_HEAD = PrebuiltWrite(
    _UPDATE_HEAD_STATEMENT.add_cte(
        insert(checkpoints_table)
        .values(tree_size=bindparam("new_tree_size"), note=bindparam("new_checkpoint"))
        .cte("new_checkpoint")
    )
)


_NODES_PER_QUERY = 64


@cache
def _nodes_query(count: int) -> Select[Any]:
    """`(level = :l0 AND idx = :i0) OR ...` for `count` nodes, built once per count (at most 64).

    Plain bound parameters, not expanding IN lists (rendering those on every call cost more than the
    query), and not a row-value `(level, idx) IN (...)`, which SQLite 3.40 answers by scanning the
    whole table; each term here is a primary-key search (EXPLAIN QUERY PLAN: MULTI-INDEX OR).
    """
    level, idx = nodes_table.c.level, nodes_table.c.idx
    terms = (and_(level == bindparam(f"l{n}"), idx == bindparam(f"i{n}")) for n in range(count))
    return select(level, idx, nodes_table.c.hash).where(or_(*terms))


def fetch_nodes(connection: Connection, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    """Stored subtree hashes for the given keys (leaves are level 0); missing keys are simply absent."""
    wanted = sorted(keys)
    found: dict[NodeKey, bytes] = {}
    for start in range(0, len(wanted), _NODES_PER_QUERY):
        chunk = wanted[start : start + _NODES_PER_QUERY]
        parameters: dict[str, int] = {}
        for n, (level, idx) in enumerate(chunk):
            parameters[f"l{n}"] = level
            parameters[f"i{n}"] = idx
        for level, idx, value in connection.execute(_nodes_query(len(chunk)), parameters):
            found[(level, idx)] = bytes(value)
    return found


# Read-only callers on the buyers' hot path keep the nodes they read. A stored node is final (module
# docstring of `tree`), so a node read from a committed snapshot never changes; the cache is per engine
# (per database), bounded, and emptied when full. Write paths never fill it: a node read inside a write
# transaction could still be rolled back. Auditors' proof endpoints read the database every time.
_NODE_CACHE_MAX = 250_000  # ~40 MB at most
_node_caches: WeakKeyDictionary[Engine, dict[NodeKey, bytes]] = WeakKeyDictionary()
_node_caches_lock = threading.Lock()


def _node_cache(engine: Engine) -> dict[NodeKey, bytes]:
    found = _node_caches.get(engine)
    if found is None:
        with _node_caches_lock:
            found = _node_caches.setdefault(engine, {})
    return found


def committed_nodes(connection: Connection) -> Mapping[NodeKey, bytes]:
    """The engine's cache of final nodes as it is now: another thread may add to it or empty it, so a
    reader must expect a key it saw a moment ago to be gone."""
    return _node_cache(connection.engine)


def committed_nodes_of(engine: Engine) -> Mapping[NodeKey, bytes]:
    """`committed_nodes` for an engine, where no `Connection` is at hand."""
    return _node_cache(engine)


def fetch_committed_nodes(connection: Connection, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    """`fetch_nodes` for a read-only snapshot, through the engine's cache of final nodes."""
    cache = _node_cache(connection.engine)
    found: dict[NodeKey, bytes] = {}
    missing: list[NodeKey] = []
    for key in keys:
        value = cache.get(key)
        if value is None:
            missing.append(key)
        else:
            found[key] = value
    if missing:
        read = fetch_nodes(connection, missing)
        if len(cache) + len(read) > _NODE_CACHE_MAX:
            cache.clear()
        cache.update(read)
        found.update(read)
    return found


def fetch_entries(connection: Connection, start: int, end: int) -> list[NewEntry]:
    """Stored leaves [start, end) in index order; every one of them must be stored.

    Callers ask only for leaves inside the tree, so a missing row is a damaged (or tampered) database:
    it raises `LogIntegrityError` naming the first missing index, never a silently shorter answer.
    """
    rows = connection.execute(
        select(
            entries_table.c.leaf_index,
            entries_table.c.kind,
            entries_table.c.integrated_us,
            entries_table.c.document,
            entries_table.c.document_sha256,
            entries_table.c.leaf_hash,
        )
        .where(entries_table.c.leaf_index >= start, entries_table.c.leaf_index < end)
        .order_by(entries_table.c.leaf_index)
    ).mappings()
    found = [
        NewEntry(
            leaf_index=row["leaf_index"],
            kind=row["kind"],
            integrated_us=row["integrated_us"],
            document=bytes(row["document"]),
            document_sha256=bytes(row["document_sha256"]),
            leaf_hash=bytes(row["leaf_hash"]),
        )
        for row in rows
    ]
    if len(found) != max(end - start, 0):
        missing = next((i for i, e in enumerate(found, start=start) if e.leaf_index != i), start + len(found))
        raise LogIntegrityError(f"the log has no stored entry for leaf {missing}", leaf_index=missing)
    return found


def find_leaf_index(connection: Connection, leaf_hash: bytes, tree_size: int) -> int | None:
    return connection.execute(
        select(entries_table.c.leaf_index)
        .where(entries_table.c.leaf_hash == leaf_hash, entries_table.c.leaf_index < tree_size)
        .order_by(entries_table.c.leaf_index)
        .limit(1)
    ).scalar_one_or_none()


def first_checkpoint_after(connection: Connection, leaf_index: int) -> tuple[int, str] | None:
    """The smallest signed checkpoint that contains this leaf."""
    row = connection.execute(
        select(checkpoints_table.c.tree_size, checkpoints_table.c.note)
        .where(checkpoints_table.c.tree_size > leaf_index)
        .order_by(checkpoints_table.c.tree_size)
        .limit(1)
    ).first()
    return None if row is None else (row.tree_size, row.note)
