"""A reference model of a log's tree for tests: every complete aligned subtree hash, level by level."""

from __future__ import annotations

from collections.abc import Sequence

from verification.merkle import node_hash
from verification.tiles import TILE_HEIGHT, Tile


class PerfectNodes:
    """`levels[h][i]` is MTH of leaves [i·2^h, (i+1)·2^h); level 0 holds the leaf hashes."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.levels = [list(leaf_hashes)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    def tile(self, tile: Tile) -> bytes:
        """What tile (level L, index N, width W) must hold: the hashes at tree level 8L (C2SP tlog-tiles)."""
        level = TILE_HEIGHT * tile.level
        hashes = self.levels[level] if level < len(self.levels) else []
        return b"".join(hashes[tile.start : tile.start + tile.width])
