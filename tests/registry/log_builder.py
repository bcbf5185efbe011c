"""Grow a real log fast, through the log repository's bulk append (not HTTP), for tests of large trees.

Leaves are real leaf inputs of small documents; every seventh is a supply-chain document (public only
as its SHA-256), the rest certificates. Each `extend_to` signs and stores the checkpoint of its size,
exactly as `log.service.append` would.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine

from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.log import repository, tree
from verification.checkpoint import Checkpoint, sign_checkpoint
from verification.leaf import DocumentKind, LeafInput
from verification.note import NoteSigner

BASE_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z; leaf i is integrated at BASE_US + i
CHUNK = 70_000


def document(index: int) -> bytes:
    return b"document %d" % index


def kind(index: int) -> DocumentKind:
    return DocumentKind.SUPPLY_CHAIN if index % 7 == 3 else DocumentKind.CERTIFICATE


def leaf(index: int) -> LeafInput:
    return LeafInput(kind(index), BASE_US + index, hashlib.sha256(document(index)).digest())


class LogBuilder:
    """`private`: every leaf a supply-chain commitment, so a monitor (which re-verifies public documents,
    and these are not signed) checks the tree and the commitments only."""

    def __init__(self, engine: Engine, signer: NoteSigner, *, private: bool = False) -> None:
        self.engine = engine
        self.signer = signer
        self.private = private
        self.leaf_hashes: list[bytes] = []

    @property
    def size(self) -> int:
        return len(self.leaf_hashes)

    def extend_to(self, size: int) -> str:
        """Append leaves up to `size` in bulk; return the signed checkpoint of that size."""
        note = ""
        while self.size < size:
            note = self._append(range(self.size, min(size, self.size + CHUNK)))
        return note

    def _append(self, indexes: range) -> str:
        leaves = [leaf(i) for i in indexes]
        if self.private:
            leaves = [LeafInput(DocumentKind.SUPPLY_CHAIN, item.integrated_us, item.document_sha256) for item in leaves]
        entries = [
            repository.NewEntry(
                leaf_index=i,
                kind=item.kind.value,
                integrated_us=item.integrated_us,
                document=document(i),
                document_sha256=item.document_sha256,
                leaf_hash=item.leaf_hash,
            )
            for i, item in zip(indexes, leaves, strict=True)
        ]
        with write_connection(self.engine) as connection:
            head = repository.lock_head(connection)
            appended = tree.append(head.tree_size, head.frontier, [entry.leaf_hash for entry in entries])
            note = sign_checkpoint(Checkpoint(self.signer.name, appended.tree_size, appended.root), self.signer)
            new_head = repository.Head(
                appended.tree_size, appended.root, appended.frontier, BASE_US + indexes[-1], note
            )
            repository.store_append(connection, entries, appended.new_nodes, new_head)
        self.leaf_hashes += [entry.leaf_hash for entry in entries]
        return note
