"""The JSON Schemas of the signed payload profiles, generated from the same types that validate them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routers import PrefixRouter
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.errors import NotFound
from verification.payloads import (
    Agreement,
    AgreementEvent,
    AgreementEventApproval,
    AgreementSignature,
    CategoryDefinition,
    CertificateStatusEvent,
    EcoLabelCertificate,
    KeyEvent,
    KeyEventApproval,
    ProgrammeRecovery,
)

router = PrefixRouter(prefix="/v1/schemas", route_class=StrictJSONRoute, tags=["schemas"])
SCHEMA_BASE = "urn:ecolabel-registry:schema:"
PAYLOADS: dict[str, type[BaseModel]] = {
    "ecolabel-certificate": EcoLabelCertificate,
    "certificate-status-event": CertificateStatusEvent,
    "key-event": KeyEvent,
    "category-definition": CategoryDefinition,
    "agreement": Agreement,
    "agreement-signature": AgreementSignature,
    "agreement-event": AgreementEvent,
    "key-event-approval": KeyEventApproval,
    "agreement-event-approval": AgreementEventApproval,
    "programme-recovery": ProgrammeRecovery,
}


def payload_schema(name: str) -> dict[str, Any]:
    """JSON Schema (2020-12) of a payload profile. Check digits (GTIN, LEI…) are enforced in code too."""
    schema = PAYLOADS[name].model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_BASE + name, **schema}


@router.get(
    "/{name}",
    operation_id="getPayloadSchema",
    responses=openapi_responses(NotFound) | {200: {"content": {"application/schema+json": {}}}},
    response_class=JSONResponse,
)
def get_schema(name: Annotated[str, Path(pattern=r"^[a-z-]{1,64}$")]) -> JSONResponse:
    """The JSON Schema of a signed payload profile: ecolabel-certificate, certificate-status-event,
    key-event, key-event-approval, programme-recovery (signed by the registry), category-definition,
    agreement, agreement-signature, agreement-event or agreement-event-approval. Every submission is
    validated against the same definition."""
    if name not in PAYLOADS:
        raise NotFound(f"no schema {name!r}; known: {', '.join(sorted(PAYLOADS))}")
    return JSONResponse(payload_schema(name), media_type="application/schema+json")
