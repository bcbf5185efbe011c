"""Log operations used by every write path and by the log endpoints.

`append` runs inside the caller's write transaction, so a document and its leaf commit or roll back
together: there is never a document without its leaf, nor a leaf without its document.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, Engine

from ecolabel_registry.errors import BadRequest, LogIntegrityError, NotFound
from ecolabel_registry.log import repository, tree
from verification.checkpoint import Checkpoint, sign_checkpoint
from verification.documents import SignedDocument
from verification.leaf import DocumentKind, commitment_leaf_hash
from verification.merkle import consistency_proof, inclusion_proof, inclusion_proofs
from verification.note import NoteSigner
from verification.receipt import Receipt


@dataclass(frozen=True)
class Document:
    kind: DocumentKind
    content: bytes
    # The SHA-256 of `content`, when it was already taken over the same bytes (`signed`); else `append`
    # takes it. A credential's is ~25,000 instructions, 3 % of what else a batched certificate costs.
    sha256: bytes | None = None

    @classmethod
    def signed(cls, kind: DocumentKind, document: SignedDocument[Any]) -> Document:
        """A verified document's exact token, with the SHA-256 that opening it took of the same bytes
        (`SignedDocument.sha256`, its id), rather than a second one of them."""
        return cls(kind, document.token.encode("ascii"), bytes.fromhex(document.sha256))


def _now_us() -> int:
    return time.time_ns() // 1000


class Replaying(Protocol):
    """What a replay of the log tells `reserve` and `append` (ecolabel_registry.integrity.replay).

    While one is active in this context, the write paths re-apply logged documents instead of taking
    new ones: the log time is the original leaf's, every append must be exactly the next logged
    documents (else `expect` raises), and no checkpoint is signed (the original ones are copied).
    """

    def logged_us(self) -> int: ...

    def expect(self, tree_size: int, documents: Sequence[Document]) -> None: ...


_replaying: ContextVar[Replaying | None] = ContextVar("log_replaying", default=None)


@contextmanager
def replaying(replay: Replaying) -> Iterator[None]:
    """Run the write paths in this block as a replay of already logged documents."""
    token = _replaying.set(replay)
    try:
        yield
    finally:
        _replaying.reset(token)


@dataclass
class Reservation:
    """The log head, locked for this transaction, and the log time its appends will carry.

    Mutable on purpose: an append moves `head` forward so a second append in the same transaction
    continues from it.
    """

    head: repository.Head
    integrated_us: int


def reserve(connection: Connection) -> Reservation:
    """Lock the log head for the rest of the transaction and fix the log time of its appends.

    Services call this first, before checking anything that depends on the registry's state (is this
    licence taken, is this key still valid at this log time): the lock makes the check and the write
    one atomic step across processes. Log time never goes backwards, even when two processes'
    clocks disagree: it is never earlier than the previous append's.
    """
    head = repository.lock_head(connection)
    if tree.fold(head.frontier) != head.root_hash or len(head.frontier) != head.tree_size.bit_count():
        # The head row was altered outside the registry: signing on top of it could fork the log.
        raise LogIntegrityError("the log head does not match its own frontier; refusing to sign")
    replay = _replaying.get()
    if replay is not None:
        return Reservation(head=head, integrated_us=replay.logged_us())
    return Reservation(head=head, integrated_us=max(_now_us(), head.last_integrated_us))


def append(
    connection: Connection, signer: NoteSigner, documents: Sequence[Document], reservation: Reservation | None = None
) -> list[Receipt]:
    """Append documents as consecutive leaves and sign the checkpoint of the resulting tree."""
    if not documents:
        return []
    reservation = reservation or reserve(connection)
    head, integrated_us = reservation.head, reservation.integrated_us
    digests = [document.sha256 or hashlib.sha256(document.content).digest() for document in documents]
    entries = [
        repository.NewEntry(
            leaf_index=head.tree_size + offset,
            kind=document.kind.value,
            integrated_us=integrated_us,
            document=document.content,
            document_sha256=digest,
            # `entry_leaf_hash` of the content, from the digest already taken (one SHA-256 per document)
            leaf_hash=commitment_leaf_hash(document.kind, integrated_us, digest),
        )
        for offset, (document, digest) in enumerate(zip(documents, digests, strict=True))
    ]
    appended = tree.append(head.tree_size, head.frontier, [entry.leaf_hash for entry in entries])
    replay = _replaying.get()
    if replay is not None:
        replay.expect(head.tree_size, documents)
        checkpoint_text = None
    else:
        checkpoint_text = sign_checkpoint(
            Checkpoint(origin=signer.name, tree_size=appended.tree_size, root_hash=appended.root), signer
        )
    new_head = repository.Head(
        tree_size=appended.tree_size,
        root_hash=appended.root,
        frontier=appended.frontier,
        last_integrated_us=integrated_us,
        checkpoint=checkpoint_text,
    )
    repository.store_append(connection, entries, appended.new_nodes, new_head)
    reservation.head = new_head
    proofs = inclusion_proofs(head.tree_size, appended.tree_size, appended.subtree_root)  # one per entry
    return [
        Receipt(
            leaf_index=entry.leaf_index,
            kind=DocumentKind(entry.kind),
            integrated_us=integrated_us,
            leaf_hash=entry.leaf_hash,
            checkpoint=checkpoint_text or "",
            inclusion_proof=tuple(proof),
        )
        for entry, proof in zip(entries, proofs, strict=True)
    ]


def receipt_for(connection: Connection, leaf_index: int) -> Receipt:
    """The receipt the registry gave when it logged this leaf: its first checkpoint, and the proof for it."""
    found = repository.first_checkpoint_after(connection, leaf_index)
    entry = repository.fetch_entries(connection, leaf_index, leaf_index + 1)
    if found is None or not entry:
        raise LogIntegrityError(f"leaf {leaf_index} has no stored entry or checkpoint")
    tree_size, note = found
    _, leaf, proof = prove_inclusion(connection, leaf_index, tree_size)
    if leaf != entry[0].leaf_hash:
        raise LogIntegrityError(f"leaf {leaf_index} differs between its entry and the tree")
    return Receipt(
        leaf_index=leaf_index,
        kind=DocumentKind(entry[0].kind),
        integrated_us=entry[0].integrated_us,
        leaf_hash=leaf,
        checkpoint=note,
        inclusion_proof=tuple(proof),
    )


def latest_checkpoint(connection: Connection, signer: NoteSigner) -> tuple[repository.Head, str]:
    """The signed checkpoint of the current head. Only the empty tree is signed lazily, here."""
    head = repository.read_head(connection)
    if head.checkpoint is not None:
        return head, head.checkpoint
    note = sign_checkpoint(Checkpoint(origin=signer.name, tree_size=head.tree_size, root_hash=head.root_hash), signer)
    return head, note


def prove_inclusion(connection: Connection, leaf_index: int, tree_size: int | None) -> tuple[int, bytes, list[bytes]]:
    """(tree size, leaf hash, proof) for a leaf, against the current or an earlier tree size."""
    return prove_inclusion_at(connection, leaf_index, _tree_size(connection, tree_size))


def prove_inclusion_at(
    connection: Connection, leaf_index: int, size: int, *, read_only: bool = False
) -> tuple[int, bytes, list[bytes]]:
    """`prove_inclusion` against a size already read in this snapshot (the head is not read again).

    `read_only`: the connection is in a read-only snapshot, so nodes may come from the engine's cache
    of final nodes (`repository.fetch_committed_nodes`)."""
    if not 0 <= leaf_index < size:
        raise NotFound(f"leaf {leaf_index} is not in a tree of size {size}")
    if read_only:
        # Warm, every node is in the cache: one pass of the proof, no dry run to learn the keys first.
        cached = repository.committed_nodes(connection)
        try:
            return size, cached[(0, leaf_index)], inclusion_proof(leaf_index, size, tree.provider(cached))
        except (KeyError, tree.MissingNode):
            pass  # not cached yet (or emptied meanwhile): read what is missing below
    keys = tree.needed_nodes(lambda provide: inclusion_proof(leaf_index, size, provide))
    fetch = repository.fetch_committed_nodes if read_only else repository.fetch_nodes
    nodes = fetch(connection, keys | {(0, leaf_index)})
    proof = _from_stored_tree(lambda: inclusion_proof(leaf_index, size, tree.provider(nodes)))
    leaf = nodes.get((0, leaf_index))
    if leaf is None:
        raise LogIntegrityError(f"the stored tree lacks leaf {leaf_index}")
    return size, leaf, proof


def prove_inclusion_cached(engine: Engine, leaf_index: int, size: int) -> tuple[bytes, list[bytes]] | None:
    """The leaf hash and proof `prove_inclusion_at(..., read_only=True)` gives, from the engine's cache of
    final nodes alone, without a statement; None when a node is not cached (or the leaf is outside the
    tree): then `prove_inclusion_at` reads, or refuses."""
    if not 0 <= leaf_index < size:
        return None
    cached = repository.committed_nodes_of(engine)
    try:
        return cached[(0, leaf_index)], inclusion_proof(leaf_index, size, tree.provider(cached))
    except (KeyError, tree.MissingNode):
        return None


def find_leaf(connection: Connection, leaf_hash: bytes, tree_size: int | None) -> int:
    size = _tree_size(connection, tree_size)
    index = repository.find_leaf_index(connection, leaf_hash, size)
    if index is None:
        raise NotFound(f"no leaf with that hash in a tree of size {size}")
    return index


def prove_consistency(connection: Connection, first: int, second: int | None) -> tuple[int, list[bytes]]:
    size = _tree_size(connection, second)
    # RFC 9162 §2.1.4 defines proofs for 0 < first <= second only: every tree extends the empty one.
    if not 0 < first <= size:
        raise BadRequest(f"first size {first} must be between 1 and {size}")
    keys = tree.needed_nodes(lambda provide: consistency_proof(first, size, provide))
    nodes = repository.fetch_nodes(connection, keys)
    return size, _from_stored_tree(lambda: consistency_proof(first, size, tree.provider(nodes)))


def _from_stored_tree(compute: Callable[[], list[bytes]]) -> list[bytes]:
    try:
        return compute()
    except tree.MissingNode as exc:
        raise LogIntegrityError(f"the stored tree is incomplete: {exc}") from exc


def _tree_size(connection: Connection, requested: int | None) -> int:
    current = repository.read_head(connection).tree_size
    if requested is None:
        return current
    if not 0 <= requested <= current:
        raise NotFound(f"tree size {requested} is beyond the current size {current}")
    return requested
