"""Tree arithmetic over perfect, aligned subtrees; no I/O.

A node key `(level, idx)` names the root of leaves [idx·2^level, (idx+1)·2^level). Such a node is
final once its last leaf exists, so it is stored once and never changes. Any range that a proof needs
(RFC 9162 §2.1.3.1 PATH, §2.1.4.1 SUBPROOF) starts on a boundary aligned to its own size rounded up
to a power of two, so it splits into O(log n) stored nodes, folded right to left.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from verification.compact import CompactRange, fold_right
from verification.merkle import EMPTY_ROOT

NodeKey = tuple[int, int]
HASH_SIZE = 32


def chunks(start: int, end: int) -> list[NodeKey]:
    """Split [start, end) greedily, left to right, into the largest aligned perfect subtrees."""
    keys: list[NodeKey] = []
    position = start
    while position < end:
        level = (position & -position).bit_length() - 1 if position else (end - position).bit_length() - 1
        while position + (1 << level) > end:
            level -= 1
        keys.append((level, position >> level))
        position += 1 << level
    return keys


fold = fold_right


def frontier_keys(tree_size: int) -> list[NodeKey]:
    """The perfect subtrees that make up a tree of this size, largest first (one per set bit)."""
    return chunks(0, tree_size)


def split_frontier(blob: bytes) -> list[bytes]:
    return [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]


@dataclass(frozen=True)
class Appended:
    """The outcome of appending leaves to a tree known only by its size and frontier."""

    first_index: int
    tree_size: int
    frontier: list[bytes]
    root: bytes
    new_nodes: dict[NodeKey, bytes]  # leaves (level 0) included: the nodes table alone is the tree
    known: dict[NodeKey, bytes]  # every node the batch touched, leaves and old frontier included
    # Roots of ranges that are not one perfect subtree (those end at the tree's size): the receipts of
    # one append share them, so each is folded once for the whole batch rather than once per receipt.
    folded: dict[tuple[int, int], bytes] = field(default_factory=dict, repr=False, compare=False)

    def subtree_root(self, start: int, end: int) -> bytes:
        width = end - start
        if width > 0 and width & (width - 1) == 0 and start % width == 0:  # one aligned perfect subtree: a stored node
            return self.known[(width.bit_length() - 1, start // width)]
        found = self.folded.get((start, end))
        if found is None:
            found = self.folded[(start, end)] = fold([self.known[key] for key in chunks(start, end)])
        return found


def append(tree_size: int, frontier: Sequence[bytes], leaf_hashes: Sequence[bytes]) -> Appended:
    """Append leaves to the tree's compact range, recording every node the batch completes."""
    compact = CompactRange(tree_size, frontier)
    known: dict[NodeKey, bytes] = dict(zip(frontier_keys(tree_size), frontier, strict=True))
    new_nodes: dict[NodeKey, bytes] = {}
    for leaf in leaf_hashes:
        new_nodes[(0, compact.size)] = leaf
        for level, idx, value in compact.append(leaf):
            new_nodes[(level, idx)] = value
    known.update(new_nodes)
    return Appended(
        first_index=tree_size,
        tree_size=compact.size,
        frontier=compact.hashes,
        root=compact.root(),
        new_nodes=new_nodes,
        known=known,
    )


def needed_nodes(compute: Callable[[Callable[[int, int], bytes]], object]) -> set[NodeKey]:
    """Run a proof computation against a recorder to learn which stored nodes it reads.

    Proof algorithms branch on indexes and sizes only, never on hash values, so a dry run with
    placeholder hashes asks for exactly the nodes the real run will need: one query fetches them all.
    """
    keys: set[NodeKey] = set()

    def record(start: int, end: int) -> bytes:
        keys.update(chunks(start, end))
        return EMPTY_ROOT

    compute(record)
    return keys


class MissingNode(LookupError):
    """A node the tree must have is not stored: the database was altered outside the registry."""


def provider(nodes: Mapping[NodeKey, bytes]) -> Callable[[int, int], bytes]:
    def subtree_root(start: int, end: int) -> bytes:
        size = end - start
        if size & (size - 1) == 0 and start & (size - 1) == 0 and size:
            # One perfect aligned subtree, one stored node: every sibling of an inclusion proof but those
            # on the tree's right edge, so most of a proof is a lookup each (what `chunks` would give).
            level = size.bit_length() - 1
            node = nodes.get((level, start >> level))
            if node is None:
                raise MissingNode(f"stored tree lacks node {(level, start >> level)}")
            return node
        keys = chunks(start, end)
        missing = [key for key in keys if key not in nodes]
        if missing:
            raise MissingNode(f"stored tree lacks nodes {missing[:3]}")
        return fold([nodes[key] for key in keys])

    return subtree_root
