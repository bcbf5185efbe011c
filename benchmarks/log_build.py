"""Build a large, correct log directly in the tables, without going through `log.service.append`.

Leaves are real leaf hashes of tiny certificate documents; `log.tree.append` computes every node
(level 0 included) and the frontier, exactly as an append would. Rows go in with COPY on PostgreSQL
and with big executemany transactions on SQLite; the head gets no checkpoint (NULL).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, insert, update

from benchmarks.databases import settle
from ecolabel_registry.db.engine import is_sqlite, write_connection
from ecolabel_registry.log import repository, tree
from verification.leaf import DocumentKind, commitment_leaf_hash
from verification.merkle import EMPTY_ROOT

CHUNK = 50_000
BASE_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z; leaf i is integrated at BASE_US + i
KIND = DocumentKind.CERTIFICATE
_ENTRY_COLUMNS = ("leaf_index", "kind", "integrated_us", "document", "document_sha256", "leaf_hash")
_NODE_COLUMNS = ("level", "idx", "hash")
Rows = Iterable[tuple[object, ...]]


def synthetic_document(index: int) -> bytes:
    return b"bench-%d" % index


def synthetic_leaf(index: int, kind: DocumentKind = KIND) -> tuple[bytes, bytes]:
    """(document SHA-256, leaf hash) of synthetic leaf `index`, as the registry would have logged it."""
    digest = hashlib.sha256(synthetic_document(index)).digest()
    return digest, commitment_leaf_hash(kind, BASE_US + index, digest)


class SyntheticLog:
    """A log on a migrated, empty database, extended in chunks to any size.

    `kind`: the leaves' document kind. `supply_chain` documents are public only as their hash, so a
    monitor checks the tree and every leaf's commitment without re-verifying signatures (the synthetic
    documents are not signed)."""

    def __init__(self, engine: Engine, kind: DocumentKind = KIND) -> None:
        self.engine = engine
        self.kind = kind
        self.size = 0
        self.frontier: list[bytes] = []
        self.root = EMPTY_ROOT

    def extend_to(self, target: int, progress: Callable[[str], None]) -> None:
        while self.size < target:
            end = min(self.size + CHUNK, target)
            self._append_chunk(range(self.size, end))
            if end % (10 * CHUNK) == 0 or end == target:
                progress(f"  built {end:,} leaves")
        settle(self.engine)

    def _append_chunk(self, indexes: range) -> None:
        leaves = [synthetic_leaf(i, self.kind) for i in indexes]
        appended = tree.append(self.size, self.frontier, [leaf for _, leaf in leaves])
        entries = [
            (i, self.kind.value, BASE_US + i, synthetic_document(i), digest, leaf)
            for i, (digest, leaf) in zip(indexes, leaves, strict=True)
        ]
        nodes = [(level, idx, value) for (level, idx), value in appended.new_nodes.items()]
        with write_connection(self.engine) as connection:
            if is_sqlite(self.engine):
                _executemany(connection, repository.entries_table, _ENTRY_COLUMNS, entries)
                _executemany(connection, repository.nodes_table, _NODE_COLUMNS, nodes)
            else:
                _copy(connection, "log_entries", _ENTRY_COLUMNS, entries)
                _copy(connection, "log_nodes", _NODE_COLUMNS, nodes)
            connection.execute(
                update(repository.state_table)
                .where(repository.state_table.c.id == 1)
                .values(
                    tree_size=appended.tree_size,
                    root_hash=appended.root,
                    frontier=b"".join(appended.frontier),
                    last_integrated_us=BASE_US + indexes[-1],
                    checkpoint=None,
                )
            )
        self.size, self.frontier, self.root = appended.tree_size, appended.frontier, appended.root


def _executemany(connection: Connection, table: Any, columns: Sequence[str], rows: Rows) -> None:
    connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


def _copy(connection: Connection, table: str, columns: Sequence[str], rows: Rows) -> None:
    driver: Any = connection.connection.driver_connection  # psycopg.Connection
    with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
