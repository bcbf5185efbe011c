"""Read a C2SP tlog-tiles log from a URL prefix or a local directory: the registry's `/log/`, a mirror, or
the output of `ecolabel-registry tiles export`.

    with TiledLog.open("http://127.0.0.1:8000/log") as log:      # or TiledLog.open("mirror/")
        note = log.checkpoint()
        for entry in log.entries(0, tree_size): ...

`entries` yields the same `LogEntry` objects as the registry's `/v1/log/entries`, built from entry
bundles (the leaf inputs, parsed strictly) and document bundles; the proofs are computed from tiles
(`verification.tiles.TileHashReader`). Nothing read here is trusted: the monitor and the mirror check
every leaf against a verified checkpoint. Bundles are fetched a few at a time, ahead of use.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from verification.client import DEFAULT_TIMEOUT
from verification.errors import MalformedInput
from verification.leaf import LogEntry, parse_leaf_input
from verification.merkle import consistency_proof, inclusion_proof, leaf_hash
from verification.tiles import (
    TILE_WIDTH,
    Tile,
    TileData,
    TileHashReader,
    decode_document_bundle,
    decode_entry_bundle,
    tile_width,
)

PREFETCH = 4  # bundle pairs in flight: enough to hide a round trip, few enough for any server


class TileFetchError(Exception):
    """A resource the checkpoint implies could not be read (HTTP error, missing file)."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path


class TiledLog:
    def __init__(self, prefix: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self.prefix = prefix.rstrip("/")
        self._local = None if "://" in prefix else Path(prefix)
        self._http = (
            None
            if self._local is not None
            else httpx.Client(transport=transport, timeout=DEFAULT_TIMEOUT, headers={"Accept-Encoding": "gzip"})
        )
        self._pool = ThreadPoolExecutor(max_workers=PREFETCH, thread_name_prefix="tiles")
        self.bytes_fetched = 0  # as transferred (compressed, over HTTP)
        self.requests = 0

    @classmethod
    def open(cls, prefix: str, *, transport: httpx.BaseTransport | None = None) -> TiledLog:
        return cls(prefix, transport=transport)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._http is not None:
            self._http.close()

    def read(self, path: str) -> bytes:
        """One resource under the prefix, as bytes."""
        self.requests += 1
        if self._local is not None:
            try:
                data = (self._local / path).read_bytes()
            except OSError as exc:
                raise TileFetchError(path, str(exc)) from exc
            self.bytes_fetched += len(data)
            return data
        if self._http is None:  # unreachable: __init__ sets one of the two
            raise TileFetchError(path, "no source")
        try:
            with self._http.stream("GET", f"{self.prefix}/{path}") as response:
                raw = b"".join(response.iter_raw())
                self.bytes_fetched += len(raw)
                if response.status_code != 200:
                    raise TileFetchError(path, f"HTTP {response.status_code}")
                return _decoded(raw, response.headers.get("content-encoding"))
        except httpx.HTTPError as exc:
            raise TileFetchError(path, str(exc)) from exc

    def checkpoint(self) -> str:
        try:
            return self.read("checkpoint").decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedInput("INVALID_UTF8", "the checkpoint is not UTF-8") from exc

    witnessed_checkpoint = checkpoint  # a tiled log publishes one checkpoint: the witnessed one

    def tile(self, tile: Tile) -> bytes:
        return self.read(tile.path)

    def reader(self, tree_size: int) -> TileHashReader:
        return TileHashReader(tree_size, self.tile)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        return consistency_proof(first, second, self.reader(second).subtree_root)

    def inclusion_proof(self, leaf_index: int, tree_size: int) -> tuple[bytes, list[bytes]]:
        reader = self.reader(tree_size)
        return reader.node(0, leaf_index), inclusion_proof(leaf_index, tree_size, reader.subtree_root)

    def bundle(self, index: int, tree_size: int) -> tuple[list[bytes], list[bytes | None]]:
        """Entry bundle `index` and its document bundle, at the width this tree size gives them."""
        width = tile_width(0, index, tree_size)
        tile = Tile(0, index, width, TileData.ENTRIES)
        entries = decode_entry_bundle(self.tile(tile), width)
        documents = decode_document_bundle(self.tile(tile.with_data(TileData.DOCUMENTS)), width)
        return entries, documents

    def bundles(self, start: int, end: int, tree_size: int) -> Iterator[tuple[int, list[bytes], list[bytes | None]]]:
        """(index, entries, documents) for every bundle holding a leaf in [start, end), in order, prefetched."""
        first, last = start // TILE_WIDTH, (end - 1) // TILE_WIDTH
        pending: list[tuple[int, Future[tuple[list[bytes], list[bytes | None]]]]] = []
        index = first
        while index <= last or pending:
            while index <= last and len(pending) < PREFETCH:
                pending.append((index, self._pool.submit(self.bundle, index, tree_size)))
                index += 1
            done, future = pending.pop(0)
            entries, documents = future.result()
            yield done, entries, documents

    def entries(self, start: int, end: int) -> Iterator[LogEntry]:
        """Entries [start, end) of the tree of size `end` (the checkpoint's size), in order."""
        if start >= end:
            return
        for index, entries, documents in self.bundles(start, end, end):
            for offset, (raw, document) in enumerate(zip(entries, documents, strict=True)):
                leaf_index = index * TILE_WIDTH + offset
                if leaf_index < start:
                    continue
                yield entry_from_bundle(leaf_index, raw, document)


def entry_from_bundle(leaf_index: int, raw: bytes, document: bytes | None) -> LogEntry:
    """A log entry from its leaf input (hashed as the log hashed it) and its document, if public."""
    leaf = parse_leaf_input(raw)
    return LogEntry(
        leaf_index=leaf_index,
        kind=leaf.kind,
        integrated_us=leaf.integrated_us,
        leaf_hash=leaf_hash(raw),
        document_sha256=leaf.document_sha256,
        document=document,
    )


def _decoded(raw: bytes, encoding: str | None) -> bytes:
    if encoding is None or encoding == "identity":
        return raw
    if encoding == "gzip":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise MalformedInput("BAD_ENCODING", "a gzip answer does not decompress") from exc
    raise MalformedInput("BAD_ENCODING", f"unexpected Content-Encoding {encoding}")
