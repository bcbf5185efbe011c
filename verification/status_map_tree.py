"""Building the status map and its proofs (the producer side of `verification.status_map`).

Rows are what a store keeps (docs/VERIFIABLE-MAP.md §6): one per subtree holding two entries or
more, and one per entry at the depth its leaf collapsed to. A position is written as one integer,
``(1 << depth) | prefix`` (prefix: the path's first `depth` bits), so the root is 1, a position's
children are ``2p`` and ``2p + 1`` and its sibling is ``p ^ 1``. Every sibling on a path is then
a stored row or EMPTY, which is what keeps a proof to one read of the path's rows.

Entries are only added or changed, never removed: a certificate, once logged, stays in the map.

A store that keeps rows elsewhere (a database) loads the rows of one key's path and its siblings
(`path_positions`) into a tree with `from_rows`, puts, and writes back the rows `put_hash` names:
those rows are all an update reads and all it changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from verification.errors import MalformedInput
from verification.status_map import EMPTY, KEY_BITS, MapLeaf, MapProof, map_leaf_hash, map_node_hash

__all__ = ["MapRow", "StatusMapTree", "path_positions", "reference_root"]


def _position(key_int: int, depth: int) -> int:
    return (1 << depth) | (key_int >> (KEY_BITS - depth))


def path_positions(key: bytes, first_depth: int, last_depth: int) -> list[int]:
    """The positions of `key`'s path and of their siblings at depths first_depth..last_depth."""
    key_int = int.from_bytes(key, "big")
    found = []
    for depth in range(first_depth, min(last_depth, KEY_BITS) + 1):
        position = _position(key_int, depth)
        found += [position, position ^ 1] if depth else [position]
    return found


@dataclass(frozen=True)
class MapRow:
    """One stored row: a node (`leaf_key` None) or a collapsed leaf with its key and value hash."""

    position: int
    hash: bytes
    leaf_key: bytes | None = None
    value_sha256: bytes | None = None


class StatusMapTree:
    """An in-memory status map: `put` a value under a key, read the `root`, `prove` any key."""

    def __init__(self) -> None:
        self._hashes: dict[int, bytes] = {}  # every row: position -> MH of the subtree there
        self._leaf_keys: dict[int, bytes] = {}  # the rows that are a collapsed leaf: position -> key
        self._values: dict[bytes, bytes] = {}  # key -> SHA-256 of its value

    def __len__(self) -> int:
        return len(self._values)

    @property
    def root(self) -> bytes:
        return self._hashes.get(1, EMPTY)

    @property
    def rows(self) -> int:
        """Stored rows (nodes and leaves): what a database store would hold."""
        return len(self._hashes)

    def depth_of(self, key: bytes) -> int:
        """The depth of the row where `key`'s path ends: the length of its proof."""
        return len(self.prove(key).siblings)

    def value_sha256(self, key: bytes) -> bytes | None:
        return self._values.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        """Set `key` to `value` (the value's bytes; the map keeps their SHA-256)."""
        self.put_hash(key, hashlib.sha256(value).digest())

    @classmethod
    def from_rows(cls, rows: Iterable[MapRow]) -> StatusMapTree:
        """A tree holding only these rows: enough to update or prove the keys whose paths they cover."""
        tree = cls()
        tree.load(rows)
        return tree

    def load(self, rows: Iterable[MapRow]) -> None:
        """Add stored rows; a row this tree already holds (perhaps written since) must not be passed."""
        for row in rows:
            self._hashes[row.position] = row.hash
            if row.leaf_key is not None and row.value_sha256 is not None:
                self._leaf_keys[row.position] = row.leaf_key
                self._values[row.leaf_key] = row.value_sha256

    def row(self, position: int) -> MapRow:
        leaf_key = self._leaf_keys.get(position)
        value = None if leaf_key is None else self._values[leaf_key]
        return MapRow(position, self._hashes[position], leaf_key, value)

    def path_end(self, key: bytes) -> int:
        """The depth where `key`'s path ends in the rows held: a store that loaded the path down to
        depth K knows the end for certain only when this is at most K (else it loads deeper)."""
        return self._end(int.from_bytes(key, "big"))[0]

    def has(self, position: int) -> bool:
        return position in self._hashes

    def put_hash(self, key: bytes, value_sha256: bytes) -> list[int]:
        """Set `key`'s value hash; returns the positions of the rows written (a store writes them back)."""
        if len(key) != 32 or len(value_sha256) != 32:
            raise MalformedInput("BAD_HASH_LENGTH", "map keys and value hashes are 32 bytes")
        key_int = int.from_bytes(key, "big")
        _, position = self._end(key_int)
        other = self._leaf_keys.get(position)
        written = []
        if other is not None and other != key:
            # Two entries now share this subtree: split down to the first bit where their keys differ.
            other_int = int.from_bytes(other, "big")
            split = KEY_BITS - (key_int ^ other_int).bit_length()  # their common prefix length, >= depth
            del self._leaf_keys[position]
            other_position = _position(other_int, split + 1)
            self._leaf_keys[other_position] = other
            self._hashes[other_position] = map_leaf_hash(other, self._values[other])
            written.append(other_position)
            position = _position(key_int, split + 1)
        self._values[key] = value_sha256
        self._leaf_keys[position] = key
        self._hashes[position] = map_leaf_hash(key, value_sha256)
        self._rehash_above(position)
        while position:
            written.append(position)
            position >>= 1
        return written

    def _end(self, key_int: int) -> tuple[int, int]:
        """The depth and position where the key's path ends: an absent row or a leaf row."""
        depth, position = 0, 1
        while position in self._hashes and position not in self._leaf_keys:
            depth += 1
            position = _position(key_int, depth)
        return depth, position

    def _rehash_above(self, position: int) -> None:
        hashes = self._hashes
        position >>= 1
        while position:
            hashes[position] = map_node_hash(hashes.get(2 * position, EMPTY), hashes.get(2 * position + 1, EMPTY))
            position >>= 1

    def prove(self, key: bytes) -> MapProof:
        """The proof for `key`: of its value when present, of its absence otherwise."""
        if len(key) != 32:
            raise MalformedInput("BAD_HASH_LENGTH", "map keys are 32 bytes")
        depth, position = self._end(int.from_bytes(key, "big"))
        siblings = []
        for above in range(depth):
            siblings.append(self._hashes.get((position >> above) ^ 1, EMPTY))
        leaf_key = self._leaf_keys.get(position)
        leaf = None if leaf_key is None else MapLeaf(leaf_key, self._values[leaf_key])
        return MapProof(leaf, tuple(siblings))

    def positions(self) -> Iterator[int]:
        """Every stored row's position, in no particular order (to copy the tree into a store)."""
        return iter(self._hashes)

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """(key, value SHA-256) pairs, in no particular order."""
        return iter(self._values.items())


def reference_root(entries: Mapping[bytes, bytes], depth: int = 0) -> bytes:
    """MH of `entries` (key -> value SHA-256) straight from the definition; for tests and checks."""
    if not entries:
        return EMPTY
    if len(entries) == 1:
        ((key, value_sha256),) = entries.items()
        return map_leaf_hash(key, value_sha256)
    byte, shift = divmod(depth, 8)
    left = {k: v for k, v in entries.items() if not k[byte] >> (7 - shift) & 1}
    right = {k: v for k, v in entries.items() if k[byte] >> (7 - shift) & 1}
    return map_node_hash(reference_root(left, depth + 1), reference_root(right, depth + 1))
