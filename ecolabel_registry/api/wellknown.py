"""Registry identity: what an offline verifier needs to trust checkpoints, receipts and decisions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.routing import StrictJSONRoute
from verification.jwk import PublicKey

router = APIRouter(route_class=StrictJSONRoute, tags=["registry"])


class RegistryIdentity(BaseModel):
    log_origin: str = Field(description="the origin line of every checkpoint (C2SP tlog-checkpoint)")
    checkpoint_verifier_key: str = Field(description="C2SP signed-note verifier key: <name>+<key id>+<base64 key>")
    jwks: dict[str, Any] = Field(description="JWKS of the key that signs receipts' checkpoints and decisions")


@router.get(
    "/.well-known/ecolabel-registry",
    operation_id="getRegistryIdentity",
)
def well_known(context: ContextDep) -> RegistryIdentity:
    """The log origin and the registry's public keys, in signed-note and JWK form."""
    # kid is the RFC 7638 thumbprint, so it names the key without any registry-chosen label.
    jwk = PublicKey.from_private_key(context.signing_key).to_jwk()
    return RegistryIdentity(
        log_origin=context.settings.log_origin,
        checkpoint_verifier_key=context.note_verifier.to_string(),
        jwks={"keys": [jwk]},
    )
