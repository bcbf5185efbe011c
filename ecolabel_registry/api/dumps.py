"""Bulk downloads: signed dumps of public data, and DCAT-AP metadata that open-data portals harvest."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import FileResponse, Response

from ecolabel_registry.api.deps import AdminOnly, ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.clock import now_us
from ecolabel_registry.errors import BadRequest, NotFound, Unauthorized, ValidationFailed
from ecolabel_registry.opendata import dcat, dumps
from ecolabel_registry.opendata.schemas import CreateDump, DumpList, DumpOut
from verification.dump import MANIFEST_NAME

router = APIRouter(tags=["open data"])
BASE = "/v1/dumps"
DumpName = Annotated[str, Path(pattern=r"^dump-[0-9]{12}(-[0-9]{12})?$", description="a dump's directory name")]
FileName = Annotated[
    str, Path(pattern=r"^([a-z0-9_]+\.(csv|jsonl)|manifest\.jws)$", description="a data file or manifest.jws")
]
_MEDIA = {".csv": "text/csv; charset=utf-8", ".jsonl": "application/jsonl", ".jws": "application/jose"}
_FILE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {media: {"schema": {"type": "string"}} for media in _MEDIA.values()},
        "description": "The file, byte for byte as the manifest hashes it",
    }
}
JSON_LD = "application/ld+json"


def _directory(context: Any) -> FilePath:
    directory: FilePath | None = context.settings.dump_directory
    if directory is None:
        raise NotFound("this registry publishes no bulk downloads (ECOLABEL_DUMP_DIRECTORY is not set)")
    return directory


@router.get(BASE, operation_id="listDumps", responses=openapi_responses(NotFound))
def list_dumps(context: ContextDep) -> DumpList:
    """The dumps this registry publishes, newest first: full ones (daily) and incremental ones, each
    pinned to a checkpoint, with its files' SHA-256 hashes and the signed manifest."""
    found = dumps.list_dumps(_directory(context))
    items = [DumpOut.of(dumps.dump_name(m.tree_size, m.since), m, BASE) for m in found]
    return DumpList(items=sorted(items, key=lambda d: (d.tree_size, d.since or 0), reverse=True))


@router.post(
    BASE,
    operation_id="createDump",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(NotFound, BadRequest, Unauthorized, ValidationFailed),
)
def create_dump(body: CreateDump, context: ContextDep, _: AdminOnly) -> DumpOut:
    """Write a dump now (operator only): everything at the log's head, or, with `since`, only what the
    leaves from that index on added or changed. Writing the same checkpoint again returns the same dump."""
    directory = _directory(context)
    manifest = dumps.write_dump(context.engine, context.signing_key, directory, since=body.since, now_us=now_us())
    return DumpOut.of(dumps.dump_name(manifest.tree_size, manifest.since), manifest, BASE)


@router.get(
    BASE + "/{name}/{file}",
    operation_id="getDumpFile",
    response_class=Response,
    responses={**_FILE, **openapi_responses(NotFound, ValidationFailed)},
)
def get_dump_file(name: DumpName, file: FileName, context: ContextDep) -> Response:
    """One file of a dump, immutable once written (its hash is in the signed manifest)."""
    path = _directory(context) / name / file
    if not (path.parent / MANIFEST_NAME).is_file() or not path.is_file():
        raise NotFound(f"no file {file} in dump {name}")
    return FileResponse(
        path, media_type=_MEDIA[path.suffix], headers={"Cache-Control": "public, max-age=31536000, immutable"}
    )


@router.get(
    "/v1/dcat",
    operation_id="getDcatCatalogue",
    response_class=Response,
    responses={200: {"content": {JSON_LD: {"schema": {"type": "object"}}}, "description": "DCAT-AP 3 catalogue"}},
)
def get_dcat_catalogue(context: ContextDep, request: Request) -> Response:
    """A DCAT-AP catalogue (JSON-LD) of the registry's open data, for open-data portals to harvest: one
    dataset per kind of record, distributed as the newest full dump's CSV and JSON Lines files, and the
    statistics API as a data service."""
    directory = context.settings.dump_directory
    found = dumps.list_dumps(directory) if directory is not None else []
    full = [m for m in found if m.since is None]
    newest = max(full, key=lambda m: m.tree_size) if full else None
    base = str(request.base_url).rstrip("/")
    document = dcat.catalogue(base, context.settings.log_origin, newest, BASE)
    return Response(dcat.encode(document), media_type=JSON_LD)
