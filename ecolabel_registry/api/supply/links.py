"""Supply links: declared by the buyer, confirmed or disputed by the supplier, listed per organisation."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from ecolabel_registry.api.deps import ContextDep, OrganisationPrincipal, RawBody
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.api.supply.params import (
    _READ,
    _WRITE,
    LinkId,
    OrganisationId,
)
from ecolabel_registry.clock import now_us
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.errors import (
    HistoryConflict,
    NotFound,
)
from ecolabel_registry.schemas import ReceiptOut
from ecolabel_registry.supply import (
    links,
)
from ecolabel_registry.supply.outputs import (
    LinkOut,
    LinkPage,
    LinkState,
    LinkWritten,
)
from ecolabel_registry.supply.schemas import (
    LinkConfirmation,
    LinkDeclaration,
    LinkDispute,
)

router = APIRouter(route_class=StrictJSONRoute, tags=["supply chain"])


# --- supply links --------------------------------------------------------------------------------------


@router.post(
    "/v1/supply-links",
    operation_id="declareSupplyLink",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(
        *_WRITE, also={200: {"description": "The identical declaration was already logged", "model": LinkWritten}}
    ),
)
def declare_link(
    body: LinkDeclaration,
    document: RawBody,
    principal: OrganisationPrincipal,
    context: ContextDep,
    response: Response,
) -> LinkWritten:
    """Declare that a supplier supplies the buyer a product (GTIN) or material over a period (the buyer's
    token, supply:write). The period is half-open: `valid_from` inclusive, `valid_to` exclusive.

    The link's id is the SHA-256 of the body as sent: sending the same bytes again returns the original
    link and receipt (200). A link overlapping an existing one for the same parties and product is refused.
    A declaration opens nothing of the supplier's own chain: the buyer's chain views follow the link to the
    supplier's suppliers only once the supplier confirms it.
    """
    with write_connection(context.engine) as connection:
        link, receipt, created = links.declare(connection, context.note_signer, principal, body, document)
    if not created:
        response.status_code = status.HTTP_200_OK
    return LinkWritten(link=link, receipt=ReceiptOut.of(receipt), created=created)


@router.get("/v1/supply-links/{link_id}", operation_id="getSupplyLink", responses=openapi_responses(*_READ))
def get_link(link_id: LinkId, principal: OrganisationPrincipal, context: ContextDep) -> LinkOut:
    """A link with its confirmations and disputes (its buyer's chain readers, and its supplier)."""
    with context.engine.connect() as connection:
        return links.get(connection, principal, link_id, now_us())


@router.post(
    "/v1/supply-links/{link_id}/confirmation",
    operation_id="confirmSupplyLink",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_WRITE, NotFound, HistoryConflict),
)
def confirm_link(
    link_id: LinkId, body: LinkConfirmation, document: RawBody, principal: OrganisationPrincipal, context: ContextDep
) -> LinkWritten:
    """The supplier confirms the link (its token, supply:write). `previous` must be the link's
    `next_event.previous`: a replayed or out-of-order statement is refused. From then on the buyer's chain
    views follow the link to the supplier's own suppliers."""
    with write_connection(context.engine) as connection:
        link, receipt = links.confirm(
            connection, context.note_signer, principal, link_id=link_id, body=body, document=document
        )
    return LinkWritten(link=link, receipt=ReceiptOut.of(receipt), created=True)


@router.post(
    "/v1/supply-links/{link_id}/dispute",
    operation_id="disputeSupplyLink",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_WRITE, NotFound, HistoryConflict),
)
def dispute_link(
    link_id: LinkId, body: LinkDispute, document: RawBody, principal: OrganisationPrincipal, context: ContextDep
) -> LinkWritten:
    """The supplier disputes the link, with a reason (its token, supply:write). The buyer's chain views
    then stop at the supplier again, as for a link never confirmed."""
    with write_connection(context.engine) as connection:
        link, receipt = links.dispute(
            connection, context.note_signer, principal, link_id=link_id, body=body, document=document
        )
    return LinkWritten(link=link, receipt=ReceiptOut.of(receipt), created=True)


@router.get(
    "/v1/organisations/{organisation_id}/supply-links",
    operation_id="listSupplyLinks",
    responses=openapi_responses(*_READ),
)
def list_links(
    organisation_id: OrganisationId,
    *,
    principal: OrganisationPrincipal,
    context: ContextDep,
    role: Annotated[Literal["buyer", "supplier"], Query(description="links it buys through, or sells through")] = (
        "buyer"
    ),
    state: Annotated[LinkState | None, Query()] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> LinkPage:
    """The organisation's links as buyer (readers of its chain) or as supplier (itself and the operator:
    a supplier uses this to find declarations waiting for its confirmation)."""
    with context.engine.connect() as connection:
        items, next_cursor = links.page(
            connection, principal, organisation_id, role=role, state=state, cursor=cursor, limit=limit, now_us=now_us()
        )
    return LinkPage(items=items, next_cursor=next_cursor)
