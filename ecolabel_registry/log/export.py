"""`ecolabel-registry tiles export DIR`: the log's tiles as static files that any web server can serve.

The directory holds exactly what `GET /log/…` serves, under the same paths: `checkpoint`, `tile/<L>/…`,
`tile/entries/…` and `documents/…`. Serve it at any URL prefix (with `checkpoint` as text/plain and the
rest as application/octet-stream, long-lived caching except for `checkpoint`), from a web server, an
object store or a CDN. Run it again to bring the directory up to date: full tiles already written are
kept as they are (a tile never changes), new ones are added, the partial tiles of the new size are
written, and partial tiles that a full one has replaced are removed (tlog-tiles "Partial Tiles" allows
it). Every file is written to a temporary name and renamed, and the checkpoint last, so a reader never
sees a checkpoint whose tiles are not all there.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from ecolabel_registry.db.engine import read_snapshot
from ecolabel_registry.errors import LogIntegrityError
from ecolabel_registry.log import cosignatures, tiles
from verification.client.files import write_atomically
from verification.cosignature import CosignerKey
from verification.note import NoteSigner
from verification.tiles import Tile, TileData, tiles_for_size


@dataclass(frozen=True)
class ExportReport:
    tree_size: int
    written: int
    kept: int
    bytes_written: int


def resources(tree_size: int) -> Iterator[Tile]:
    """Every tile, entry bundle and document bundle of a tree of this size."""
    for tile in tiles_for_size(tree_size):
        yield tile
        if tile.level == 0:
            yield tile.with_data(TileData.ENTRIES)
            yield tile.with_data(TileData.DOCUMENTS)


def export(engine: Engine, signer: NoteSigner, witness_keys: Sequence[CosignerKey], directory: Path) -> ExportReport:
    written = kept = size_written = 0
    directory.mkdir(parents=True, exist_ok=True)
    with read_snapshot(engine) as connection:  # the checkpoint and its tiles from one state of the log
        published = cosignatures.published(connection, signer, witness_keys)
        for tile in resources(published.tree_size):
            target = directory / tile.path
            if target.exists():
                kept += 1
                continue
            data = tiles.read_tile(connection, tile)
            if data is None:
                raise LogIntegrityError(f"{tile.path} is missing at the published tree size {published.tree_size}")
            write_atomically(target, data)
            written += 1
            size_written += len(data)
            if tile.full:
                shutil.rmtree(target.with_name(target.name + ".p"), ignore_errors=True)
    write_atomically(directory / "checkpoint", published.note.encode())
    return ExportReport(published.tree_size, written, kept, size_written)
