"""The logged supply-chain documents, for those who may read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from ecolabel_registry.api.deps import ContextDep, OrganisationPrincipal
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.api.supply.params import (
    _READ,
)
from ecolabel_registry.clock import now_us
from ecolabel_registry.schemas import ReceiptOut
from ecolabel_registry.supply import (
    access,
)

router = APIRouter(route_class=StrictJSONRoute, tags=["supply chain"])


# --- logged documents ----------------------------------------------------------------------------------


@router.get(
    "/v1/supply-documents/{leaf_index}",
    operation_id="getSupplyDocument",
    response_class=Response,
    responses=openapi_responses(*_READ) | {200: {"content": {"application/json": {}}, "description": "The bytes"}},
)
def get_supply_document(
    leaf_index: Annotated[int, Path(ge=0, le=2**63 - 1)], principal: OrganisationPrincipal, context: ContextDep
) -> Response:
    """The exact bytes of a logged supply-chain document, for those who may read it (documents of a chain:
    its readers; grants and tokens: the organisation itself and the operator; any document: the party it
    names): their SHA-256 is the commitment the public log shows at this leaf (`/v1/log/entries`). Check
    them with `.../receipt`."""
    with context.engine.connect() as connection:
        row = access.read_document(connection, principal, leaf_index, now_us())
    return Response(bytes(row["document"]), media_type="application/json")


@router.get(
    "/v1/supply-documents/{leaf_index}/receipt",
    operation_id="getSupplyDocumentReceipt",
    responses=openapi_responses(*_READ),
)
def get_supply_document_receipt(
    leaf_index: Annotated[int, Path(ge=0, le=2**63 - 1)], principal: OrganisationPrincipal, context: ContextDep
) -> ReceiptOut:
    """The receipt of a logged supply-chain document: with its bytes, checkable offline
    (`verification.receipt.verify_receipt`)."""
    with context.engine.connect() as connection:
        return ReceiptOut.of(access.document_receipt(connection, principal, leaf_index, now_us()))
