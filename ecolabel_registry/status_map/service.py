"""Updating the stored status map and proving from it (docs/VERIFIABLE-MAP.md §6).

An update loads the rows of each key's path and siblings (one indexed query per 48 levels; a path at
10 million certificates is about 25 deep), applies the puts in memory with the same tree code a
verifier's tests hold to the map's definition, and writes back only the rows the puts name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection

from ecolabel_registry.db.engine import build_engine, write_connection
from ecolabel_registry.errors import LogIntegrityError
from ecolabel_registry.log import service as log
from ecolabel_registry.settings import Settings
from ecolabel_registry.signing_key import load_or_create_signing_key
from ecolabel_registry.status_map import repository
from verification.leaf import DocumentKind
from verification.note import NoteSigner
from verification.receipt import Receipt
from verification.status_map import ChainHeadValue, MapProof
from verification.status_map_tree import StatusMapTree, path_positions
from verification.status_proof import StatusMapRoot

_LEVELS_PER_READ = 48
_POSITIONS_PER_QUERY = 900  # bound parameters per statement: under SQLite's historical limit of 999


class _Paths:
    """The rows read in this transaction, in a tree that also holds what the transaction wrote."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.tree = StatusMapTree()
        self.queried: set[int] = set()

    def read(self, positions: Iterable[int]) -> None:
        wanted = sorted({p for p in positions if p not in self.queried and not self.tree.has(p)})
        for start in range(0, len(wanted), _POSITIONS_PER_QUERY):
            self.tree.load(repository.load_rows(self.connection, wanted[start : start + _POSITIONS_PER_QUERY]))
        self.queried.update(wanted)

    def cover(self, keys: Sequence[bytes]) -> None:
        """Load the keys' paths until each ends inside what was read: the first 48 levels of all of
        them in one query (per 900 positions), deeper levels only for the rare key that needs them."""
        first, pending = 0, list(keys)
        while pending:
            last = first + _LEVELS_PER_READ - 1
            self.read(p for key in pending for p in path_positions(key, first, last))
            pending = [key for key in pending if self.tree.path_end(key) > last]
            first = last + 1


def apply(connection: Connection, updates: Sequence[tuple[bytes, bytes]], log_size: int) -> StatusMapRoot:
    """Set each certificate id to its chain head's value hash, in order, in the caller's transaction.

    `log_size` is the number of log leaves the map reflects after these updates; the returned document
    is what the registry logs as the `status_map` leaf at that index.
    """
    entries = repository.read_state(connection).entries
    paths = _Paths(connection)
    paths.read([1])  # at least the root row, when there is no update
    paths.cover([key for key, _ in updates])
    written: set[int] = set()
    for key, value_sha256 in updates:
        paths.cover([key])  # a no-op unless an earlier put in this batch moved the path deeper
        if paths.tree.value_sha256(key) is None:
            entries += 1
        written.update(paths.tree.put_hash(key, value_sha256))
    repository.write_rows(connection, [paths.tree.row(p) for p in sorted(written)])
    repository.write_state(connection, entries, log_size)
    return StatusMapRoot(log_size=log_size, entries=entries, root=paths.tree.root)


def prove(connection: Connection, key: bytes) -> tuple[bytes, MapProof]:
    """The current map root and the proof for `key`; read in the snapshot the answer names."""
    paths = _Paths(connection)
    paths.cover([key])
    return paths.tree.root, paths.tree.prove(key)


def current_root(connection: Connection) -> StatusMapRoot:
    state = repository.read_state(connection)
    paths = _Paths(connection)
    paths.read([1])  # the root's row alone
    return StatusMapRoot(log_size=state.log_size, entries=state.entries, root=paths.tree.root)


def is_enabled(connection: Connection) -> bool:
    return repository.read_state(connection).enabled


def log_documents(
    connection: Connection, heads: Sequence[tuple[str, ChainHeadValue]], log_size: int, *, enabled: bool | None = None
) -> list[log.Document]:
    """The `status_map` leaf to append last in this transaction, after the leaves `heads` come from
    (none while the map is off). `log_size` is that leaf's own index: the leaves before it. `enabled`:
    whether the map is on, when the caller has read it under the log lock (or knows it unchanged since)."""
    if not heads:
        return []
    if not (is_enabled(connection) if enabled is None else enabled):
        return []
    updates = [
        (bytes.fromhex(certificate_id), hashlib.sha256(head.encode()).digest()) for certificate_id, head in heads
    ]
    document = apply(connection, updates, log_size)
    return [log.Document(DocumentKind.STATUS_MAP, document.encode())]


def enable_with(settings: Settings) -> Receipt | None:
    """`enable` on the database and with the signing key the settings name (the operator's command)."""
    engine = build_engine(settings.database_url, pool_size=1)
    try:
        signer = NoteSigner.from_private_key(settings.log_origin, load_or_create_signing_key(settings.signing_key_path))
        with write_connection(engine) as connection:
            return enable(connection, signer)
    finally:
        engine.dispose()


def enable(connection: Connection, signer: NoteSigner) -> Receipt | None:
    """Build the map from the certificate tables and log its first root; None if it was already on.

    Under the log lock, so no certificate or event can be logged between the build and the leaf.
    The tables are trusted here: run it on a registry whose tables agree with its log.
    """
    reservation = log.reserve(connection)
    if is_enabled(connection):
        return None
    tree = StatusMapTree()
    for certificate_id, leaf, count, event_sha256, event_leaf in repository.certificate_heads(connection):
        head_leaf = event_leaf if count else leaf
        if head_leaf is None:
            raise LogIntegrityError(f"certificate {certificate_id} counts {count} events but its latest is missing")
        head = ChainHeadValue(leaf, count, event_sha256 or certificate_id, head_leaf)
        tree.put(bytes.fromhex(certificate_id), head.encode())
    repository.replace_rows(connection, [tree.row(p) for p in tree.positions()])
    log_size = reservation.head.tree_size
    repository.write_state(connection, len(tree), log_size, enabled=True)
    document = StatusMapRoot(log_size=log_size, entries=len(tree), root=tree.root)
    (receipt,) = log.append(connection, signer, [log.Document(DocumentKind.STATUS_MAP, document.encode())], reservation)
    return receipt
