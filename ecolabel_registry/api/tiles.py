"""The log per C2SP tlog-tiles under `/log/`: checkpoint, hash tiles, entry bundles, document bundles.

These are static resources in all but storage: `ecolabel-registry tiles export DIR` writes the same
tree as files, so any web server, object store or CDN can serve the log, and mirrors can copy it.
"""

from __future__ import annotations

import gzip
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from fastapi.responses import Response

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import openapi_responses, problem_response
from ecolabel_registry.db.engine import autocommit_connection
from ecolabel_registry.errors import NotFound
from ecolabel_registry.log import cosignatures, tiles
from verification.errors import MalformedInput
from verification.tiles import Tile, TileData, parse_tile_path

router = APIRouter(prefix="/log", tags=["transparency log (tiles)"])

CHECKPOINT_MEDIA_TYPE = "text/plain; charset=utf-8"
TILE_MEDIA_TYPE = "application/octet-stream"
# tlog-tiles: the checkpoint is mutable, "its headers SHOULD prevent caching beyond a few seconds";
# tiles and bundles never change once they exist (log.tiles), so their caching "SHOULD be long-lived".
CHECKPOINT_CACHE = "public, max-age=2"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
_GZIP_FROM_BYTES = 512  # smaller bundles gain nothing from compression

_BINARY: dict[int | str, dict[str, Any]] = {
    200: {"content": {TILE_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}, "description": "OK"}
}
TilePath = Annotated[str, Path(description="`<N>[.p/<W>]`: the index in 3-digit elements, `x` before all but the last")]


@router.get(
    "/checkpoint",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "OK"}},
)
def get_checkpoint(context: ContextDep) -> Response:
    """The newest checkpoint a configured witness has cosigned (the newest checkpoint when the registry
    has no witnesses), as a C2SP signed note: the log's signature, then the witnesses' cosignatures."""
    with autocommit_connection(context.engine) as connection:
        published = cosignatures.published(connection, context.note_signer, context.witness_keys)
    return Response(published.note, media_type=CHECKPOINT_MEDIA_TYPE, headers={"Cache-Control": CHECKPOINT_CACHE})


@router.get("/tile/{tile_path:path}", response_class=Response, responses={**_BINARY, **openapi_responses(NotFound)})
def get_tile(
    context: ContextDep,
    tile_path: TilePath,
    accept_encoding: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """A hash tile `tile/<L>/<N>[.p/<W>]` (up to 256 hashes of 32 bytes: the subtree roots at level 8L), or
    an entry bundle `tile/entries/<N>[.p/<W>]` (each leaf input behind a big-endian uint16 length)."""
    return _serve(context, "tile/" + tile_path, accept_encoding)


@router.get(
    "/documents/{tile_path:path}", response_class=Response, responses={**_BINARY, **openapi_responses(NotFound)}
)
def get_document_bundle(
    context: ContextDep,
    tile_path: TilePath,
    accept_encoding: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """A document bundle `documents/<N>[.p/<W>]`: the documents the entries of the same bundle commit to,
    each behind a big-endian uint32 length; a supply-chain document, which only its parties may read,
    is an empty slot here (its leaf input carries only its SHA-256)."""
    return _serve(context, "documents/" + tile_path, accept_encoding)


def _serve(context: Any, path: str, accept_encoding: str | None) -> Response:
    try:
        tile = parse_tile_path(path)
    except MalformedInput as exc:
        return _missing(NotFound(f"{path[:100]} is not a tile path: {exc.detail}", code="BAD_TILE_PATH"), path)
    with autocommit_connection(context.engine) as connection:
        data = tiles.read_tile(connection, tile)
    if data is None:
        return _missing(NotFound(f"{tile.path} is not in the log (yet)", code="TILE_NOT_FOUND"), path)
    headers = {"Cache-Control": IMMUTABLE_CACHE}
    if _compressible(tile) and len(data) >= _GZIP_FROM_BYTES:
        # tlog-tiles "Log entries": bundles SHOULD be compressed at the HTTP layer.
        headers["Vary"] = "Accept-Encoding"
        if accept_encoding is not None and "gzip" in accept_encoding.lower():
            data = gzip.compress(data, compresslevel=6, mtime=0)
            headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=TILE_MEDIA_TYPE, headers=headers)


def _compressible(tile: Tile) -> bool:
    return tile.data is not TileData.HASHES  # hashes do not compress


def _missing(error: NotFound, path: str) -> Response:
    response = problem_response(error, instance=f"/log/{path}")
    response.headers["Cache-Control"] = "no-store"  # it may exist a moment later
    return response
