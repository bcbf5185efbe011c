"""Facilities and products of organisations."""

from __future__ import annotations

from fastapi import APIRouter, status

from ecolabel_registry.api.deps import ContextDep, OrganisationPrincipal, RawBody
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.api.supply.params import (
    _READ,
    _WRITE,
    FacilityId,
    ProductId,
)
from ecolabel_registry.clock import now_us
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.schemas import ReceiptOut
from ecolabel_registry.supply import (
    parties,
)
from ecolabel_registry.supply.outputs import (
    FacilityOut,
    FacilityRegistered,
    ProductOut,
    ProductRegistered,
)
from ecolabel_registry.supply.schemas import (
    FacilityRegistration,
    ProductRegistration,
)

router = APIRouter(route_class=StrictJSONRoute, tags=["supply chain"])


# --- facilities and products ---------------------------------------------------------------------------


@router.post(
    "/v1/facilities",
    operation_id="registerFacility",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_WRITE),
)
def register_facility(
    body: FacilityRegistration, document: RawBody, principal: OrganisationPrincipal, context: ContextDep
) -> FacilityRegistered:
    """Register a facility (site) of an organisation: the organisation itself or the operator."""
    with write_connection(context.engine) as connection:
        facility, receipt = parties.register_facility(connection, context.note_signer, principal, body, document)
    return FacilityRegistered(facility=facility, receipt=ReceiptOut.of(receipt))


@router.get("/v1/facilities/{facility_id}", operation_id="getFacility", responses=openapi_responses(*_READ))
def get_facility(facility_id: FacilityId, principal: OrganisationPrincipal, context: ContextDep) -> FacilityOut:
    """A facility (readers of its organisation's chain)."""
    with context.engine.connect() as connection:
        return parties.facility_detail(connection, principal, facility_id, now_us())


@router.post(
    "/v1/products",
    operation_id="registerProduct",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_WRITE),
)
def register_product(
    body: ProductRegistration, document: RawBody, principal: OrganisationPrincipal, context: ContextDep
) -> ProductRegistered:
    """Register a product by GTIN (check digit verified): the organisation itself or the operator."""
    with write_connection(context.engine) as connection:
        product, receipt = parties.register_product(connection, context.note_signer, principal, body, document)
    return ProductRegistered(product=product, receipt=ReceiptOut.of(receipt))


@router.get("/v1/products/{product_id}", operation_id="getProduct", responses=openapi_responses(*_READ))
def get_product(product_id: ProductId, principal: OrganisationPrincipal, context: ContextDep) -> ProductOut:
    """A product (readers of its organisation's chain)."""
    with context.engine.connect() as connection:
        return parties.product_detail(connection, principal, product_id, now_us())
