"""Any logged document, content-addressed: what a monitor or mirror fetches to recheck a leaf."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.tiles import IMMUTABLE_CACHE
from ecolabel_registry.clock import now_us
from ecolabel_registry.errors import NotFound, RegistryError, Unauthorized
from ecolabel_registry.log import documents
from ecolabel_registry.supply import access, auth
from verification.leaf import DocumentKind

router = APIRouter(tags=["transparency log"])
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="SupplyChainToken",
    description="An organisation API token (elr_…) issued by the operator, or the operator's admin token",
)
_JSON_KINDS = frozenset({DocumentKind.PROGRAMME, DocumentKind.SUPPLY_CHAIN})


@router.get(
    "/v1/documents/{document_sha256}",
    operation_id="getDocument",
    response_class=Response,
    responses={
        200: {
            "description": "The exact bytes: a compact JWS (application/jose) or a JSON document",
            "content": {"application/jose": {"schema": {"type": "string"}}, "application/json": {}},
        },
        **openapi_responses(NotFound, Unauthorized),
    },
    # The token is optional (only supply-chain documents need one): an empty requirement says so (OpenAPI 3.1
    # "Security Requirement Object"), appended to the bearer requirement FastAPI derives from the dependency.
    openapi_extra={"security": [{}]},
)
def get_document(
    document_sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the document")],
    context: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    """The exact bytes of a logged document, by the SHA-256 its leaf commits to (immutable; cache freely).

    A supply-chain document is served only to those who may read it (its chain's readers and its named
    party, with their token); to anyone else it is `not-found`, like a hash the log never saw."""
    with context.read_engine().connect() as connection:
        principal: auth.Principal | None = None
        if credentials is not None:
            principal = auth.authenticate(connection, credentials.credentials, context.admin_token, now_us())

        def may_read(leaf_index: int) -> bool:
            if principal is None:
                return False
            try:
                access.read_document(connection, principal, leaf_index, now_us())
            except RegistryError:
                return False
            return True

        found = documents.read(connection, bytes.fromhex(document_sha256), may_read)
    media_type = "application/json" if found.kind in _JSON_KINDS else "application/jose"
    cache = IMMUTABLE_CACHE if found.public else "private, no-store"
    return Response(found.content, media_type=media_type, headers={"Cache-Control": cache})
