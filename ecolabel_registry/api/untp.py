"""A certificate's UNTP Digital Conformity Credential view (UNTP DCC data model v0.6.0)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Response

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.api.vc_jwt import VC_JWT_CONTENT, prefers_vc_jwt, vc_jwt_response
from ecolabel_registry.certificates import lookup
from ecolabel_registry.errors import NotFound
from ecolabel_registry.untp.export import digital_conformity_credential
from verification.canonical import dumps_canonical
from verification.jwk import PublicKey
from verification.jws import sign_compact
from verification.payloads import TYP

# No tag of its own: it is included in the certificates router, whose tag it takes.
router = APIRouter(route_class=StrictJSONRoute)
CertificateId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the credential")]


@router.get(
    "/{certificate_id}/untp-dcc",
    operation_id="getCertificateUntpDcc",
    responses=openapi_responses(NotFound, also={200: {"content": VC_JWT_CONTENT}}),
    response_model=dict[str, Any],
)
def get_untp_dcc(
    certificate_id: CertificateId,
    context: ContextDep,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> dict[str, Any] | Response:
    """The certificate as a UN Transparency Protocol Digital Conformity Credential (data model v0.6.0).

    Issued by the registry's DID, not the programme's: it attests that the registry holds the programme-signed
    credential it links to (by SHA-256), logged at the leaf it names, with the status it states now. With
    `Accept: application/vc+jwt` it is signed by the registry's key as a vc+jwt.
    """
    names = context.did_names
    with context.engine.connect() as connection:
        certificate = lookup.get(connection, certificate_id)
        credential = digital_conformity_credential(
            connection, names, certificate, registry_name=f"Eco-label registry {names.base_url}"
        )
    if not prefers_vc_jwt(accept):
        return credential
    key = PublicKey.from_private_key(context.signing_key)
    claims = {**credential, "iss": names.registry}  # agrees with issuer.id (docs/INTEROP.md §2)
    token = sign_compact(
        dumps_canonical(claims), context.signing_key, f"{names.registry}#{key.thumbprint()}", TYP["certificate"]
    )
    return vc_jwt_response(token)
