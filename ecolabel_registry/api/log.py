"""Transparency-log endpoints: checkpoint, entries, inclusion and consistency proofs (RFC 9162 §2.1)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Header, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routers import PrefixRouter
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.api.tiles import CHECKPOINT_MEDIA_TYPE
from ecolabel_registry.db.engine import read_snapshot
from ecolabel_registry.errors import BadRequest, LogIntegrityError, NotFound
from ecolabel_registry.log import cosignatures, repository, service
from verification.leaf import DocumentKind, LeafInput, format_log_time
from verification.tlog_proof import TlogProof

router = PrefixRouter(prefix="/v1/log", route_class=StrictJSONRoute, tags=["transparency log"])

MAX_ENTRIES_PAGE = 1000
# Leaf indexes and tree sizes are BIGINT columns: a larger number is refused here (422), not by PostgreSQL (500).
MAX_INDEX = 2**63 - 1
_B64_HASH = r"^[A-Za-z0-9+/]{43}=$"


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


class CheckpointOut(BaseModel):
    tree_size: int
    root_hash: str = Field(description="base64 of the RFC 9162 root hash")
    checkpoint: str = Field(description="C2SP tlog-checkpoint signed note, signed by the registry's log key")


class EntryOut(BaseModel):
    leaf_index: int
    kind: DocumentKind
    integrated_at: str
    leaf_hash: str = Field(description="base64 of the RFC 9162 leaf hash")
    document_sha256: str = Field(description="hex SHA-256 of the exact document bytes")
    document: str | None = Field(
        description="the exact document as received (a JWS compact or JSON text); null for private kinds"
    )


class EntriesPage(BaseModel):
    entries: list[EntryOut]
    next_start: int | None = Field(description="pass as `start` to read the next page; null at the end of the log")


class InclusionProofOut(BaseModel):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyProofOut(BaseModel):
    first: int
    second: int
    proof: list[str]


@router.get(
    "/checkpoint",
    operation_id="getCheckpoint",
    response_model=CheckpointOut,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def get_checkpoint(
    context: ContextDep, accept: Annotated[str | None, Header(include_in_schema=False)] = None
) -> CheckpointOut | Response:
    """The latest signed checkpoint, with the witness cosignatures collected for it so far. Verify it with
    the key published at `/.well-known/ecolabel-registry`. With `Accept: text/plain`, the signed note
    itself (C2SP tlog-checkpoint); `/log/checkpoint` serves the newest *witnessed* one."""
    with context.read_engine().connect() as connection:
        head, note = service.latest_checkpoint(connection, context.note_signer)
        published = cosignatures.with_cosignatures(connection, head.tree_size, note)
    if _prefers_text(accept):
        return Response(published.note, media_type=CHECKPOINT_MEDIA_TYPE, headers={"Cache-Control": "no-cache"})
    return CheckpointOut(tree_size=head.tree_size, root_hash=_b64(head.root_hash), checkpoint=published.note)


def _prefers_text(accept: str | None) -> bool:
    """`text/plain` asked for, and not after JSON (a browser's `*/*` or a client's JSON keeps JSON)."""
    if not accept:
        return False
    types = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    if "text/plain" not in types:
        return False
    return "application/json" not in types or types.index("text/plain") < types.index("application/json")


@router.get("/entries", operation_id="listLogEntries", responses=openapi_responses(BadRequest))
def get_entries(
    context: ContextDep,
    start: Annotated[int, Query(ge=0, le=MAX_INDEX, description="first leaf index")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_ENTRIES_PAGE)] = 100,
) -> EntriesPage:
    """Leaves in index order, with the documents a monitor needs to recompute each leaf hash.

    Private documents (supply-chain declarations) appear only as their SHA-256 commitment.
    """
    with context.read_engine().connect() as connection:
        size = repository.read_head(connection).tree_size
        rows = repository.fetch_entries(connection, start, min(start + limit, size))
    entries = [
        EntryOut(
            leaf_index=row.leaf_index,
            kind=DocumentKind(row.kind),
            integrated_at=format_log_time(row.integrated_us),
            leaf_hash=_b64(row.leaf_hash),
            document_sha256=row.document_sha256.hex(),
            document=row.document.decode("utf-8", "replace") if DocumentKind(row.kind).is_public else None,
        )
        for row in rows
    ]
    end = start + limit
    return EntriesPage(entries=entries, next_start=end if end < size else None)


@router.get("/proofs/inclusion", operation_id="getInclusionProof", responses=openapi_responses(BadRequest, NotFound))
def get_inclusion_proof(
    context: ContextDep,
    leaf_index: Annotated[
        int | None, Query(ge=0, le=MAX_INDEX, description="the leaf to prove; or give leaf_hash")
    ] = None,
    leaf_hash: Annotated[str | None, Query(pattern=_B64_HASH, description="base64 leaf hash")] = None,
    tree_size: Annotated[int | None, Query(ge=1, le=MAX_INDEX, description="defaults to the current size")] = None,
) -> InclusionProofOut:
    """An RFC 9162 §2.1.3 inclusion proof for one leaf, by index or by leaf hash."""
    if (leaf_index is None) == (leaf_hash is None):
        raise BadRequest("give exactly one of leaf_index and leaf_hash")
    with context.read_engine().connect() as connection:
        if leaf_hash is not None:
            try:
                wanted = base64.b64decode(leaf_hash, validate=True)
            except binascii.Error as exc:
                raise BadRequest("leaf_hash is not base64") from exc
            leaf_index = service.find_leaf(connection, wanted, tree_size)
        if leaf_index is None:  # unreachable: exactly one of the two was given
            raise BadRequest("give exactly one of leaf_index and leaf_hash")
        size, found_hash, proof = service.prove_inclusion(connection, leaf_index, tree_size)
    return InclusionProofOut(
        leaf_index=leaf_index, tree_size=size, leaf_hash=_b64(found_hash), proof=[_b64(p) for p in proof]
    )


@router.get(
    "/proofs/consistency", operation_id="getConsistencyProof", responses=openapi_responses(BadRequest, NotFound)
)
def get_consistency_proof(
    context: ContextDep,
    first: Annotated[int, Query(ge=0, le=MAX_INDEX, description="the earlier tree size")],
    second: Annotated[
        int | None, Query(ge=0, le=MAX_INDEX, description="the later tree size; defaults to the current size")
    ] = None,
) -> ConsistencyProofOut:
    """An RFC 9162 §2.1.4 consistency proof that the tree of size `second` extends the one of size `first`."""
    with context.read_engine().connect() as connection:
        size, proof = service.prove_consistency(connection, first, second)
    return ConsistencyProofOut(first=first, second=size, proof=[_b64(p) for p in proof])


@router.get(
    "/proofs/tlog-proof",
    operation_id="getTlogProof",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "A C2SP tlog-proof"},
        **openapi_responses(NotFound),
    },
)
def get_tlog_proof(
    context: ContextDep,
    leaf_index: Annotated[int, Query(ge=0, le=MAX_INDEX, description="the leaf to prove")],
) -> Response:
    """A C2SP tlog-proof of one leaf against the published checkpoint (`/log/checkpoint`, with its witnesses'
    cosignatures): offline evidence, checked with `ecolabel-verify receipt PROOF DOCUMENT --policy P`.
    Its `extra` line is the leaf input (docs/FORMATS.md). A leaf newer than the published checkpoint is
    `not-found` until the witnesses have cosigned a checkpoint that contains it."""
    with read_snapshot(context.read_engine()) as connection:
        published = cosignatures.published(connection, context.note_signer, context.witness_keys)
        if leaf_index >= published.tree_size:
            raise NotFound(
                f"leaf {leaf_index} is not in the published checkpoint of size {published.tree_size} yet",
                code="NOT_YET_PUBLISHED",
            )
        _, found, proof = service.prove_inclusion_at(connection, leaf_index, published.tree_size)
        (entry,) = repository.fetch_entries(connection, leaf_index, leaf_index + 1)
    leaf = LeafInput(DocumentKind(entry.kind), entry.integrated_us, entry.document_sha256)
    if leaf.leaf_hash != found:
        raise LogIntegrityError(f"leaf {leaf_index} differs between its entry and the tree")
    text = TlogProof(leaf_index, tuple(proof), published.note, leaf.encode()).to_text()
    return Response(text, media_type=CHECKPOINT_MEDIA_TYPE)
