"""did:web DID documents: the registry's at /.well-known/did.json, each programme's under /programmes/.

These paths are fixed by the did:web method (§3.2 "Read"): `did:web:<host>` resolves to
`https://<host>/.well-known/did.json` and `did:web:<host>:programmes:<id>` to
`https://<host>/programmes/<id>/did.json`. The host is `ECOLABEL_PUBLIC_URL`'s, else the log origin's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.errors import NotFound
from ecolabel_registry.programmes import did_documents
from ecolabel_registry.schemas import Slug
from verification.jwk import PublicKey

# No tag of its own: it is included in the well-known router, whose "registry" tag it takes.
router = APIRouter(route_class=StrictJSONRoute)
ProgrammeId = Annotated[Slug, Path(description="the programme's slug, e.g. eu-ecolabel")]
# Keys change only by logged key events; a minute bounds how long a revoked key stays in a cached copy.
_CACHE = "public, max-age=60"


@router.get("/.well-known/did.json", operation_id="getRegistryDidDocument")
def registry_did_document(context: ContextDep, response: Response) -> dict[str, Any]:
    """The registry's DID document (did:web): the key that signs its checkpoints, decisions and status lists."""
    response.headers["Cache-Control"] = _CACHE
    return did_documents.registry_document(context.did_names, PublicKey.from_private_key(context.signing_key))


@router.get(
    "/programmes/{programme_id}/did.json",
    operation_id="getProgrammeDidDocument",
    responses=openapi_responses(NotFound),
)
def programme_did_document(programme_id: ProgrammeId, context: ContextDep, response: Response) -> dict[str, Any]:
    """A programme's DID document (did:web): one JsonWebKey per key that can still verify what it signed.

    Credentials may name their key as `<this DID>#<kid>` and their issuer as this DID; `alsoKnownAs` holds
    the programme's URN and any DID of its own it declared at registration.
    """
    response.headers["Cache-Control"] = _CACHE
    with context.engine.connect() as connection:
        return did_documents.programme_document(
            connection, context.did_names, programme_id, PublicKey.from_private_key(context.signing_key)
        )
