"""The log as C2SP tlog-tiles resources, read straight from the stored tree.

`log_nodes` holds the root of every complete aligned subtree; the hashes of a tile at level L are the
nodes at level 8L (module docstring of `verification.tiles`), so a tile is one primary-key range scan.
Entry bundles are rebuilt from `log_entries` (each entry is the leaf input the log hashed, which holds
only the document's SHA-256); document bundles carry the public documents and an empty slot for each
supply-chain document, whose bytes only the parties allowed to read it may fetch (`supply.access`).

A tile exists once the tree has all of its hashes, and never changes afterwards, whatever the width:
a partial tile of width W is the first W hashes of the eventual full tile. So any tile whose hashes
are all stored may be served, and cached for good.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from ecolabel_registry.errors import LogIntegrityError
from ecolabel_registry.log import repository
from verification.leaf import DocumentKind, leaf_input
from verification.merkle import HASH_SIZE
from verification.tiles import TILE_HEIGHT, Tile, TileData, encode_document_bundle, encode_entry_bundle, tile_width

_nodes, _entries = repository.nodes_table, repository.entries_table


def read_tile(connection: Connection, tile: Tile) -> bytes | None:
    """The tile's bytes, or None when the tree does not (yet) have all of its hashes."""
    start, end = tile.start, tile.start + tile.width
    if tile.data is TileData.HASHES:
        level = TILE_HEIGHT * tile.level
        rows = connection.execute(
            select(_nodes.c.hash)
            .where(_nodes.c.level == level, _nodes.c.idx >= start, _nodes.c.idx < end)
            .order_by(_nodes.c.idx)
        ).all()
        data = b"".join(bytes(row.hash) for row in rows) if len(rows) == tile.width else None
        if data is not None and len(data) != tile.width * HASH_SIZE:
            raise LogIntegrityError(f"a stored node of tile {tile.path} is not {HASH_SIZE} bytes")
    elif tile.data is TileData.ENTRIES:
        entries = connection.execute(
            select(_entries.c.kind, _entries.c.integrated_us, _entries.c.document_sha256)
            .where(_entries.c.leaf_index >= start, _entries.c.leaf_index < end)
            .order_by(_entries.c.leaf_index)
        ).all()
        data = (
            encode_entry_bundle(
                [leaf_input(DocumentKind(e.kind), e.integrated_us, bytes(e.document_sha256)) for e in entries]
            )
            if len(entries) == tile.width
            else None
        )
    else:
        documents = connection.execute(
            select(_entries.c.kind, _entries.c.document)
            .where(_entries.c.leaf_index >= start, _entries.c.leaf_index < end)
            .order_by(_entries.c.leaf_index)
        ).all()
        data = (
            encode_document_bundle([bytes(d.document) if DocumentKind(d.kind).is_public else None for d in documents])
            if len(documents) == tile.width
            else None
        )
    if data is None:
        _require_beyond_tree(connection, tile)
    return data


def _require_beyond_tree(connection: Connection, tile: Tile) -> None:
    """A tile the head says is complete must be stored whole: anything else is a damaged database."""
    size = repository.read_head(connection).tree_size
    level = tile.level if tile.data is TileData.HASHES else 0
    if tile.width <= tile_width(level, tile.index, size):
        raise LogIntegrityError(f"the stored tree lacks rows of {tile.path} at tree size {size}")
