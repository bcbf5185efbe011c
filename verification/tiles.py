"""C2SP tlog-tiles (https://c2sp.org/tlog-tiles): tile paths, widths, bundles, and proofs read from tiles.

A tile at level L, index N holds up to 256 consecutive Merkle Tree Hashes, hash i being
MTH(D[(N·256 + i)·256^L : (N·256 + i + 1)·256^L]): the roots of the perfect subtrees of height 8L.
Paths look like ``tile/1/x001/x234/067.p/12``; entry bundles, ``tile/entries/<N>[.p/<W>]``, hold the leaf
inputs themselves, each behind a big-endian uint16 length. This log also serves the logged documents
in *document bundles* at ``documents/<N>[.p/<W>]`` (a uint32 length before each document, 0 for a
document the public may not read), so that a monitor or mirror can follow the whole log from static files.

    reader = TileHashReader(tree_size, fetch)          # fetch(Tile) -> bytes
    proof = consistency_proof(old_size, tree_size, reader.subtree_root)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from verification.compact import fold_right
from verification.errors import MalformedInput, ProofInvalid
from verification.merkle import HASH_SIZE, node_hash

__all__ = [
    "MAX_ENTRY_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "Tile",
    "TileData",
    "TileHashReader",
    "decode_document_bundle",
    "decode_entry_bundle",
    "encode_document_bundle",
    "encode_entry_bundle",
    "encode_index",
    "parse_tile_path",
    "perfect_root",
    "tile_hashes",
    "tiles_for_size",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes, 8,192 bytes: a full tile
MAX_LEVEL = 63  # tlog-tiles: L is between 0 and 63
MAX_ENTRY_SIZE = 0xFFFF  # an entry bundle's uint16 length prefix
MAX_DOCUMENT_SIZE = 0xFFFFFFFF
_INDEX_ELEMENT = re.compile(r"x[0-9]{3}")
_LAST_ELEMENT = re.compile(r"[0-9]{3}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class TileData(StrEnum):
    HASHES = "hashes"  # tile/<L>/<N>
    ENTRIES = "entries"  # tile/entries/<N>: leaf inputs
    DOCUMENTS = "documents"  # documents/<N>: the documents the leaf inputs commit to


@dataclass(frozen=True)
class Tile:
    """One tile resource: what it holds, its level (0 for bundles), index and width (256 when full)."""

    level: int
    index: int
    width: int = TILE_WIDTH
    data: TileData = TileData.HASHES

    def __post_init__(self) -> None:
        if not 0 <= self.level <= MAX_LEVEL or (self.data is not TileData.HASHES and self.level != 0):
            raise MalformedInput("BAD_TILE", f"tile level {self.level} is out of range")
        if self.index < 0 or not 1 <= self.width <= TILE_WIDTH:
            raise MalformedInput("BAD_TILE", f"tile index {self.index} or width {self.width} is out of range")

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def path(self) -> str:
        """The resource's path under the log's prefix (tlog-tiles "Merkle Tree", "Log entries")."""
        head = {
            TileData.HASHES: f"tile/{self.level}",
            TileData.ENTRIES: "tile/entries",
            TileData.DOCUMENTS: "documents",
        }
        suffix = "" if self.full else f".p/{self.width}"
        return f"{head[self.data]}/{encode_index(self.index)}{suffix}"

    @property
    def start(self) -> int:
        """Index, at level 8·L of the tree, of the first hash this tile holds (a leaf index at level 0)."""
        return self.index * TILE_WIDTH

    def with_data(self, data: TileData) -> Tile:
        return Tile(0, self.index, self.width, data)


def encode_index(index: int) -> str:
    """``1234067`` -> ``x001/x234/067``: zero-padded 3-digit elements, all but the last prefixed by ``x``."""
    if index < 0:
        raise MalformedInput("BAD_TILE", "a tile index is not negative")
    elements = []
    while True:
        elements.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    return "/".join([*(f"x{e}" for e in reversed(elements[1:])), elements[0]])


def parse_tile_path(path: str) -> Tile:
    """The tile a path names (relative to the prefix); any deviation from the spec's encoding is refused.

    There is exactly one spelling per tile: no leading zeroes in L or W, a full tile never as ``.p/256``,
    no empty or extra elements, and index elements that are not all zero before the first non-zero one.
    """
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] == "tile" and parts[1] == "entries":
        data, level, rest = TileData.ENTRIES, 0, parts[2:]
    elif len(parts) >= 3 and parts[0] == "tile" and _DECIMAL.fullmatch(parts[1]) and len(parts[1]) <= 2:
        data, level, rest = TileData.HASHES, int(parts[1]), parts[2:]
    elif len(parts) >= 2 and parts[0] == "documents":
        data, level, rest = TileData.DOCUMENTS, 0, parts[1:]
    else:
        raise MalformedInput("BAD_TILE_PATH", f"{path[:100]!r} is not a tile path")
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _DECIMAL.fullmatch(rest[-1]) or not 1 <= int(rest[-1]) < TILE_WIDTH:
            raise MalformedInput("BAD_TILE_PATH", "a partial tile's width is 1 to 255, without leading zeroes")
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2][:-2]]
    if not rest or not _LAST_ELEMENT.fullmatch(rest[-1]) or not all(_INDEX_ELEMENT.fullmatch(e) for e in rest[:-1]):
        raise MalformedInput("BAD_TILE_PATH", "a tile index is 3-digit elements, all but the last prefixed by x")
    if len(rest) > 1 and rest[0] == "x000":
        raise MalformedInput("BAD_TILE_PATH", "a tile index has no leading x000 element")
    index = int("".join(e.lstrip("x") for e in rest))
    try:
        return Tile(level, index, width, data)
    except MalformedInput as err:
        raise MalformedInput("BAD_TILE_PATH", err.detail) from err


def level_size(tree_size: int, level: int) -> int:
    """How many hashes level `level` of the tiles has at this tree size (complete subtrees of 256^level leaves)."""
    return tree_size >> (TILE_HEIGHT * level)


def tile_width(tile_level: int, index: int, tree_size: int) -> int:
    """The width tile (level, index) has at this tree size: 0 if it does not exist yet, 256 when full."""
    return max(0, min(TILE_WIDTH, level_size(tree_size, tile_level) - index * TILE_WIDTH))


def tiles_for_size(tree_size: int) -> Iterator[Tile]:
    """Every hash tile a tree of this size is made of, level by level (tlog-tiles "Partial Tiles").

    A tree of 70,000 leaves: 273 full and one 112-wide tile at level 0, one full and one 17-wide at
    level 1, one 1-wide at level 2.
    """
    level = 0
    while level <= MAX_LEVEL and level_size(tree_size, level) > 0:
        count = level_size(tree_size, level)
        for index in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
            yield Tile(level, index, tile_width(level, index, tree_size))
        level += 1


def tile_hashes(data: bytes, width: int) -> list[bytes]:
    if len(data) != width * HASH_SIZE:
        raise MalformedInput("BAD_TILE", f"a tile of width {width} is {width * HASH_SIZE} bytes, got {len(data)}")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def perfect_root(hashes: Sequence[bytes]) -> bytes:
    """MTH of 2^k consecutive aligned nodes of one level: the node k levels above them."""
    if not hashes or len(hashes) & (len(hashes) - 1):
        raise MalformedInput("BAD_TILE", "a perfect subtree has a power-of-two number of nodes")
    level = list(hashes)
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Entries, each behind a big-endian uint16 length (tlog-tiles "Log entries")."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_SIZE:
            raise MalformedInput("ENTRY_TOO_LARGE", f"an entry bundle holds entries of at most {MAX_ENTRY_SIZE} bytes")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_entry_bundle(data: bytes, width: int) -> list[bytes]:
    return _decode(data, width, 2, "entry bundle")


def encode_document_bundle(documents: Sequence[bytes | None]) -> bytes:
    """Documents, each behind a big-endian uint32 length; a document the public may not read is length 0."""
    out = bytearray()
    for document in documents:
        body = document or b""
        if len(body) > MAX_DOCUMENT_SIZE:
            raise MalformedInput("DOCUMENT_TOO_LARGE", "a document bundle holds documents under 4 GiB")
        out += len(body).to_bytes(4, "big") + body
    return bytes(out)


def decode_document_bundle(data: bytes, width: int) -> list[bytes | None]:
    return [item or None for item in _decode(data, width, 4, "document bundle")]


def _decode(data: bytes, width: int, prefix: int, what: str) -> list[bytes]:
    items: list[bytes] = []
    position = 0
    while position < len(data):
        if position + prefix > len(data):
            raise MalformedInput("BAD_BUNDLE", f"{what} ends inside a length prefix")
        size = int.from_bytes(data[position : position + prefix], "big")
        position += prefix
        if position + size > len(data):
            raise MalformedInput("BAD_BUNDLE", f"{what} entry {len(items)} runs past the end")
        items.append(data[position : position + size])
        position += size
    if len(items) != width:
        raise MalformedInput("BAD_BUNDLE", f"{what} of width {width} holds {len(items)} entries")
    return items


Fetch = Callable[[Tile], bytes]


class TileHashReader:
    """Merkle Tree Hashes of a tree of known size, read from its tiles (what proofs need).

    Any perfect aligned subtree of height h is, with t = h // 8, the fold of 2^(h mod 8) consecutive
    hashes of one tile at level t: a proof asks for O(log n) of them, from at most two tiles per level.
    Tiles are fetched at the width this tree size gives them, so a partial tile is only ever asked for
    when a verified checkpoint implies it exists (tlog-tiles "Partial Tiles"). Nothing read here is
    trusted: a wrong hash only makes the proof built from it fail to verify.
    """

    def __init__(self, tree_size: int, fetch: Fetch) -> None:
        self.tree_size = tree_size
        self._fetch = fetch
        self._tiles: dict[tuple[int, int], list[bytes]] = {}

    def node(self, height: int, index: int) -> bytes:
        """MTH of leaves [index·2^height, (index+1)·2^height), which must lie inside the tree."""
        if (index + 1) << height > self.tree_size:
            raise ProofInvalid("BEYOND_TREE", f"node ({height}, {index}) is not complete at size {self.tree_size}")
        level, rise = divmod(height, TILE_HEIGHT)
        first = index << rise
        tile_index, offset = divmod(first, TILE_WIDTH)
        hashes = self._tile(level, tile_index)
        return perfect_root(hashes[offset : offset + (1 << rise)])

    def subtree_root(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range a proof asks for (split into perfect aligned subtrees)."""
        keys: list[tuple[int, int]] = []
        position = start
        while position < end:
            height = (position & -position).bit_length() - 1 if position else (end - position).bit_length() - 1
            while position + (1 << height) > end:
                height -= 1
            keys.append((height, position >> height))
            position += 1 << height
        return fold_right([self.node(height, index) for height, index in keys])

    def _tile(self, level: int, index: int) -> list[bytes]:
        found = self._tiles.get((level, index))
        if found is None:
            width = tile_width(level, index, self.tree_size)
            found = tile_hashes(self._fetch(Tile(level, index, width)), width)
            self._tiles[(level, index)] = found
        return found
