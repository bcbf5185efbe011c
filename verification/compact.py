"""A compact range over [0, n): the roots of the perfect subtrees that make up the tree, largest first.

Appending a leaf works like incrementing a binary counter (RFC 9162 §2.1.1 hashing); each carry
completes a perfect subtree. The registry stores those nodes; a monitor keeps only the range itself,
so it can extend a tree it trusts without ever re-reading old leaves.
"""

from __future__ import annotations

from collections.abc import Sequence

from verification.errors import MalformedInput
from verification.merkle import EMPTY_ROOT, node_hash


class CompactRange:
    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count() or any(len(h) != 32 for h in hashes):
            raise MalformedInput("BAD_COMPACT_RANGE", "a compact range holds one 32-byte hash per set bit of its size")
        self._size = size
        # (level, hash) pairs, largest subtree first; the levels are the set bits of size.
        self._stack = [(bit, h) for bit, h in zip(_set_bits_descending(size), hashes, strict=True)]

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        return [h for _, h in self._stack]

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf; return the perfect subtrees it completed as (level, index, hash), level >= 1."""
        completed: list[tuple[int, int, bytes]] = []
        level, value, index = 0, leaf_hash, self._size
        while self._stack and self._stack[-1][0] == level:
            _, left = self._stack.pop()
            value = node_hash(left, value)
            level += 1
            index >>= 1
            completed.append((level, index, value))
        self._stack.append((level, value))
        self._size += 1
        return completed

    def root(self) -> bytes:
        """MTH of the whole range."""
        return fold_right(self.hashes)


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """MTH of consecutive aligned perfect subtrees given largest first: H(a, H(b, H(c, ...))).

    This is RFC 9162 §2.1.1's split at the largest power of two, applied to the right-hand part
    again and again; the empty sequence is the empty tree.
    """
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def _set_bits_descending(size: int) -> list[int]:
    return [bit for bit in reversed(range(size.bit_length())) if size >> bit & 1]
