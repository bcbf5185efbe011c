"""The log per C2SP tlog-tiles under `/log/`: checkpoint, hash tiles, entry bundles, document bundles.

These are static resources in all but storage: `ecolabel-registry tiles export DIR` writes the same
tree as files, so any web server, object store or CDN can serve the log, and mirrors can copy it.
"""

from __future__ import annotations

import gzip
from typing import Annotated, Any

from fastapi import Header, Path, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routers import PrefixRouter
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import autocommit_connection
from ecolabel_registry.errors import NotFound
from ecolabel_registry.log import cosignatures, tiles
from ecolabel_registry.problems import problem_response
from verification.errors import MalformedInput
from verification.tiles import Tile, TileData, parse_tile_path

router = PrefixRouter(prefix="/log", tags=["log tiles"])

CHECKPOINT_MEDIA_TYPE = "text/plain; charset=utf-8"
TILE_MEDIA_TYPE = "application/octet-stream"
# tlog-tiles: the checkpoint is mutable, "its headers SHOULD prevent caching beyond a few seconds";
# tiles and bundles never change once they exist (log.tiles), so their caching "SHOULD be long-lived".
CHECKPOINT_CACHE = "public, max-age=2"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"

_BINARY: dict[int | str, dict[str, Any]] = {
    200: {"content": {TILE_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}, "description": "OK"}
}
TilePath = Annotated[str, Path(description="`<N>[.p/<W>]`: the index in 3-digit elements, `x` before all but the last")]


@router.get(
    "/checkpoint",
    operation_id="getWitnessedCheckpoint",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "OK"}},
)
def get_checkpoint(context: ContextDep) -> Response:
    """The newest checkpoint a configured witness has cosigned (the newest checkpoint when the registry
    has no witnesses), as a C2SP signed note: the log's signature, then the witnesses' cosignatures."""
    with autocommit_connection(context.read_engine()) as connection:
        published = cosignatures.published(connection, context.note_signer, context.witness_keys)
    return Response(published.note, media_type=CHECKPOINT_MEDIA_TYPE, headers={"Cache-Control": CHECKPOINT_CACHE})


@router.get(
    "/tile/{tile_path:path}",
    operation_id="getTile",
    response_class=Response,
    responses={**_BINARY, **openapi_responses(NotFound)},
)
async def get_tile(
    request: Request,
    tile_path: TilePath,
    accept_encoding: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """A hash tile `tile/<L>/<N>[.p/<W>]` (up to 256 hashes of 32 bytes: the subtree roots at level 8L), or
    an entry bundle `tile/entries/<N>[.p/<W>]` (each leaf input behind a big-endian uint16 length)."""
    return await _serve(request.app.state.registry, "tile/" + tile_path, accept_encoding)


@router.get(
    "/documents/{tile_path:path}",
    operation_id="getDocumentBundle",
    response_class=Response,
    responses={**_BINARY, **openapi_responses(NotFound)},
)
async def get_document_bundle(
    request: Request,
    tile_path: TilePath,
    accept_encoding: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """A document bundle `documents/<N>[.p/<W>]`: the documents the entries of the same bundle commit to,
    each behind a big-endian uint32 length; a supply-chain document, which only its parties may read,
    is an empty slot here (its leaf input carries only its SHA-256)."""
    return await _serve(request.app.state.registry, "documents/" + tile_path, accept_encoding)


async def _serve(context: RegistryContext, path: str, accept_encoding: str | None) -> Response:
    # Read the context off the request rather than through a dependency, and stay on the event loop when
    # the tile is in this process's cache: a tile request is a hot path for mirrors and monitors.
    try:
        tile = parse_tile_path(path)
    except MalformedInput as exc:
        return _missing(NotFound(f"{path[:100]} is not a tile path: {exc.detail}", code="BAD_TILE_PATH"), path)
    form = "gzip" if tile.data is not TileData.HASHES and "gzip" in (accept_encoding or "").lower() else ""
    engine = context.read_engine()  # a final tile is the same on every database that holds it
    data = tiles.final_tiles.get(engine, tile, form)
    if data is None:
        data = await run_in_threadpool(_read, engine, tile, form)
        if data is None:
            return _missing(NotFound(f"{tile.path} is not in the log (yet)", code="TILE_NOT_FOUND"), path)
    headers = {"Cache-Control": IMMUTABLE_CACHE}
    if tile.data is not TileData.HASHES:  # hashes do not compress; bundles SHOULD be (tlog-tiles "Log entries")
        headers["Vary"] = "Accept-Encoding"
        if form:
            headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=TILE_MEDIA_TYPE, headers=headers)


def _read(engine: Engine, tile: Tile, form: str) -> bytes | None:
    """Read (or take from the cache) the tile, and its gzip form when asked for; remember both."""
    raw = tiles.final_tiles.get(engine, tile)
    if raw is None:
        with autocommit_connection(engine) as connection:
            raw = tiles.read_tile(connection, tile)
        if raw is None:
            return None
        tiles.final_tiles.put(engine, tile, raw)
    if not form:
        return raw
    compressed = gzip.compress(raw, compresslevel=6, mtime=0)
    tiles.final_tiles.put(engine, tile, compressed, form)
    return compressed


def _missing(error: NotFound, path: str) -> Response:
    response = problem_response(error, instance=f"/log/{path}")
    response.headers["Cache-Control"] = "no-store"  # it may exist a moment later
    return response
