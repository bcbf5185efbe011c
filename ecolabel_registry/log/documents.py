"""Logged documents by content address: `GET /v1/documents/{sha256}` finds the exact bytes a leaf commits to.

Documents are immutable, so the public ones can be cached for good. A supply-chain document is public
only as its SHA-256 (`verification.leaf`): its bytes go only to callers `may_read` admits for one of the
leaves that hold it, and everyone else gets the same "not found" as for a hash the log never saw, so
the answer does not even tell whether such a document exists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from ecolabel_registry.errors import LogIntegrityError, NotFound
from ecolabel_registry.log import repository
from verification.leaf import DocumentKind

MAX_LEAVES_CHECKED = 64  # the same bytes logged more often than this is not a case worth more queries


@dataclass(frozen=True)
class FoundDocument:
    content: bytes
    kind: DocumentKind
    public: bool


def read(connection: Connection, document_sha256: bytes, may_read: Callable[[int], bool]) -> FoundDocument:
    """The document with this SHA-256; `may_read(leaf_index)` decides for supply-chain leaves only."""
    entries = repository.entries_table
    rows = connection.execute(
        select(entries.c.leaf_index, entries.c.kind)
        .where(entries.c.document_sha256 == document_sha256)
        .order_by(entries.c.leaf_index)
        .limit(MAX_LEAVES_CHECKED)
    ).all()
    public = [row for row in rows if DocumentKind(row.kind).is_public]
    chosen = public[0] if public else next((row for row in rows if may_read(row.leaf_index)), None)
    if chosen is None:
        raise NotFound("no logged document with this SHA-256 that this caller may read", code="DOCUMENT_NOT_FOUND")
    content = bytes(
        connection.execute(select(entries.c.document).where(entries.c.leaf_index == chosen.leaf_index)).scalar_one()
    )
    if hashlib.sha256(content).digest() != document_sha256:
        # The row was edited outside the registry: never serve bytes under an address they do not have.
        raise LogIntegrityError(f"the stored document of leaf {chosen.leaf_index} does not match its SHA-256")
    return FoundDocument(content, DocumentKind(chosen.kind), bool(public))
