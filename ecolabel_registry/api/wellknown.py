"""Registry identity: what an offline verifier needs to trust checkpoints, receipts and decisions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ecolabel_registry.api import dids
from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.routing import StrictJSONRoute
from verification.jwk import PublicKey

router = APIRouter(route_class=StrictJSONRoute, tags=["registry"])


class WitnessOut(BaseModel):
    name: str = Field(description="the witness's key name, as in its cosignature lines")
    vkey: str = Field(description="C2SP tlog-cosignature verifier key (signature type 0x04)")
    url: str = Field(description="the witness's submission prefix (C2SP tlog-witness)")


class RegistryIdentity(BaseModel):
    log_origin: str = Field(description="the origin line of every checkpoint (C2SP tlog-checkpoint)")
    checkpoint_verifier_key: str = Field(description="C2SP signed-note verifier key: <name>+<key id>+<base64 key>")
    jwks: dict[str, Any] = Field(description="JWKS of the key that signs receipts' checkpoints and decisions")
    tiles: str = Field(description="the prefix of the log's C2SP tlog-tiles resources, relative to this host")
    witnesses: list[WitnessOut] = Field(description="the witnesses the registry submits every new checkpoint to")
    witness_policy: str = Field(
        description="a C2SP tlog-policy naming this log and its witnesses, all required; verifiers set their own quorum"
    )


@router.get(
    "/.well-known/ecolabel-registry",
    operation_id="getRegistryIdentity",
)
def well_known(context: ContextDep) -> RegistryIdentity:
    """The log origin and the registry's public keys, in signed-note and JWK form."""
    # kid is the RFC 7638 thumbprint, so it names the key without any registry-chosen label.
    jwk = PublicKey.from_private_key(context.signing_key).to_jwk()
    witnesses = [WitnessOut(name=w.key.name, vkey=w.key.to_string(), url=w.url) for w in context.settings.witnesses]
    return RegistryIdentity(
        log_origin=context.settings.log_origin,
        checkpoint_verifier_key=context.note_verifier.to_string(),
        jwks={"keys": [jwk]},
        tiles="/log/",
        witnesses=witnesses,
        witness_policy=_policy(context.note_verifier.to_string(), witnesses),
    )


def _policy(log_vkey: str, witnesses: list[WitnessOut]) -> str:
    """tlog-policy text: the log, each witness (named w1, w2… in the policy), and a quorum of all of them."""
    lines = [
        "# suggested by the registry: a verifier chooses the witnesses and the quorum it trusts",
        f"log {log_vkey}",
    ]
    names = [f"w{number}" for number in range(1, len(witnesses) + 1)]
    lines += [f"witness {name} {w.vkey} {w.url}" for name, w in zip(names, witnesses, strict=True)]
    if names:
        lines.append(f"group registry-witnesses all {' '.join(names)}")
    lines.append(f"quorum {'registry-witnesses' if names else 'none'}")
    return "\n".join(lines) + "\n"


# The did:web documents are the same identity in the form standard verifiers resolve (api/dids.py).
router.include_router(dids.router)
