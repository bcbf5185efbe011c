"""The log as C2SP tlog-tiles resources, read straight from the stored tree.

`log_nodes` holds the root of every complete aligned subtree; the hashes of a tile at level L are the
nodes at level 8L (module docstring of `verification.tiles`), so a tile is one primary-key range scan.
Entry bundles are rebuilt from `log_entries` (each entry is the leaf input the log hashed, which holds
only the document's SHA-256); document bundles carry the public documents and an empty slot for each
supply-chain document, whose bytes only the parties allowed to read it may fetch (`supply.access`).

A tile exists once the tree has all of its hashes, and never changes afterwards, whatever the width:
a partial tile of width W is the first W hashes of the eventual full tile. So any tile whose hashes
are all stored may be served, and cached for good: by HTTP caches (`api.tiles` marks them immutable),
and by this process (`FinalTiles`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, bindparam, select

from ecolabel_registry.db.raw import Prebuilt
from ecolabel_registry.errors import LogIntegrityError
from ecolabel_registry.log import repository
from verification.leaf import DocumentKind, leaf_input
from verification.merkle import HASH_SIZE
from verification.tiles import TILE_HEIGHT, Tile, TileData, encode_document_bundle, encode_entry_bundle, tile_width

_nodes, _entries = repository.nodes_table, repository.entries_table


# Range reads run on the driver's cursor (`db.raw.Prebuilt`): SQLAlchemy's row processing cost more than
# the query for a tile's 256 rows. Callers read outside a transaction or inside one, as they choose.
_HASHES = Prebuilt(
    select(_nodes.c.hash)
    .where(_nodes.c.level == bindparam("level"), _nodes.c.idx >= bindparam("start"), _nodes.c.idx < bindparam("end"))
    .order_by(_nodes.c.idx)
)
_LEAVES = Prebuilt(
    select(_entries.c.kind, _entries.c.integrated_us, _entries.c.document_sha256)
    .where(_entries.c.leaf_index >= bindparam("start"), _entries.c.leaf_index < bindparam("end"))
    .order_by(_entries.c.leaf_index)
)
_DOCUMENTS = Prebuilt(
    select(_entries.c.kind, _entries.c.document)
    .where(_entries.c.leaf_index >= bindparam("start"), _entries.c.leaf_index < bindparam("end"))
    .order_by(_entries.c.leaf_index)
)


def read_tile(connection: Connection, tile: Tile) -> bytes | None:
    """The tile's bytes, or None when the tree does not (yet) have all of its hashes."""
    start, end = tile.start, tile.start + tile.width
    data: bytes | None = None
    if tile.data is TileData.HASHES:
        hashes = _HASHES.all(connection, level=TILE_HEIGHT * tile.level, start=start, end=end)
        if len(hashes) == tile.width:
            data = b"".join(bytes(row[0]) for row in hashes)
            if len(data) != tile.width * HASH_SIZE:
                raise LogIntegrityError(f"a stored node of tile {tile.path} is not {HASH_SIZE} bytes")
    elif tile.data is TileData.ENTRIES:
        leaves = _LEAVES.all(connection, start=start, end=end)
        if len(leaves) == tile.width:
            data = encode_entry_bundle([leaf_input(DocumentKind(k), us, bytes(sha)) for k, us, sha in leaves])
    else:
        documents = _DOCUMENTS.all(connection, start=start, end=end)
        if len(documents) == tile.width:
            data = encode_document_bundle([bytes(d) if DocumentKind(k).is_public else None for k, d in documents])
    if data is None:
        _require_beyond_tree(connection, tile)
    return data


def _require_beyond_tree(connection: Connection, tile: Tile) -> None:
    """A tile the head says is complete must be stored whole: anything else is a damaged database."""
    size = repository.read_head(connection).tree_size
    level = tile.level if tile.data is TileData.HASHES else 0
    if tile.width <= tile_width(level, tile.index, size):
        raise LogIntegrityError(f"the stored tree lacks rows of {tile.path} at tree size {size}")


class FinalTiles:
    """Tiles this process has served, by engine (database), least recently used first out.

    Safe without invalidation, and across processes, because a tile never changes once it exists (module
    docstring); filled only from autocommit reads, which see committed rows only, so a tile read inside
    a transaction that later rolled back never gets in. Bounded by bytes: bundles of documents can be
    hundreds of kilobytes. The API also keeps the gzip form of a bundle here, under its own key.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._by_engine: WeakKeyDictionary[Engine, OrderedDict[tuple[Tile, str], bytes]] = WeakKeyDictionary()
        self._size: WeakKeyDictionary[Engine, int] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, engine: Engine, tile: Tile, form: str = "") -> bytes | None:
        with self._lock:
            found = self._by_engine.get(engine)
            if found is None:
                return None
            data = found.get((tile, form))
            if data is not None:
                found.move_to_end((tile, form))
            return data

    def put(self, engine: Engine, tile: Tile, data: bytes, form: str = "") -> None:
        if len(data) > self.max_bytes // 8:
            return  # one huge bundle must not empty the cache of everything else
        with self._lock:
            found = self._by_engine.setdefault(engine, OrderedDict())
            size = self._size.get(engine, 0)
            previous = found.pop((tile, form), None)
            size += len(data) - (len(previous) if previous is not None else 0)
            found[(tile, form)] = data
            while size > self.max_bytes and found:
                _, evicted = found.popitem(last=False)
                size -= len(evicted)
            self._size[engine] = size


final_tiles = FinalTiles(max_bytes=64 * 1024 * 1024)
