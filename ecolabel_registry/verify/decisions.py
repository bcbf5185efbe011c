"""Signing decisions with the registry's key (the key that signs checkpoints, published in its JWKS).

Every check signs one decision, so the signer keeps what never changes for a process's key: the kid (an
RFC 7638 thumbprint, ~20 µs to compute) and the encoded protected header. The token is the compact JWS
`verification.jws.sign_compact` writes for the same header, byte for byte (Ed25519 is deterministic),
without re-validating a header that is ours; checking it stays with the verifier (`verify_decision`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecolabel_registry.context import RegistryContext
from verification.canonical import dumps_canonical_fast
from verification.decision import DECISION_TYP
from verification.jwk import PublicKey


@dataclass(frozen=True)
class _Signer:
    key: Ed25519PrivateKey
    kid: str
    header: bytes  # base64url of the protected header, as sign_compact writes it

    @classmethod
    def of(cls, key: Ed25519PrivateKey) -> _Signer:
        kid = PublicKey.from_private_key(key).kid
        header = orjson.dumps({"alg": "EdDSA", "kid": kid, "typ": DECISION_TYP})  # joserfc's compact json.dumps
        return cls(key, kid, _b64url(header))


_signers: dict[int, _Signer] = {}  # by id() of the process's signing key (one entry in practice)


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _signer(context: RegistryContext) -> _Signer:
    found = _signers.get(id(context.signing_key))
    if found is None or found.key is not context.signing_key:
        found = _signers[id(context.signing_key)] = _Signer.of(context.signing_key)
    return found


def registry_kid(context: RegistryContext) -> str:
    return _signer(context).kid


def registered_claims(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with `issuer` and `issuedAt` under their JWT registered names `iss` and `iat`.

    RFC 7519 §4.1: a `+jwt` type promises registered claim names where one exists. `iat` is a NumericDate
    in whole seconds; `verification.decision` still reads decisions signed with the older names.
    """
    claims = dict(payload)
    if "issuer" in claims:
        claims["iss"] = claims.pop("issuer")
    if "issuedAt" in claims:
        claims["iat"] = int(datetime.fromisoformat(claims.pop("issuedAt").replace("Z", "+00:00")).timestamp())
    return claims


def sign_decision(context: RegistryContext, payload: dict[str, Any]) -> str:
    """Sign a decision; its `issuer` and `issuedAt` become `iss` and `iat` (`registered_claims`)."""
    signer = _signer(context)
    signing_input = signer.header + b"." + _b64url(dumps_canonical_fast(registered_claims(payload)))
    return (signing_input + b"." + _b64url(signer.key.sign(signing_input))).decode("ascii")
