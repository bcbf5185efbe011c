"""Signing decisions with the registry's key (the key that signs checkpoints, published in its JWKS).

A decision is a compact JWS written by `verification.jws.sign_compact`, the one JWS signer, over the
canonical JSON of its claims. The signer keeps the one thing that never changes for a process's key and
costs a little to compute: the kid (an RFC 7638 thumbprint). This module sits below the domain packages
(it imports none of them) so that any of them may sign as the registry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecolabel_registry.context import RegistryContext
from verification.canonical import dumps_canonical_fast
from verification.decision import DECISION_TYP
from verification.jwk import PublicKey
from verification.jws import sign_compact

_kids: dict[int, tuple[Ed25519PrivateKey, str]] = {}  # by id() of the process's signing key (one entry in practice)


def _kid(key: Ed25519PrivateKey) -> str:
    found = _kids.get(id(key))
    if found is None or found[0] is not key:
        found = _kids[id(key)] = (key, PublicKey.from_private_key(key).kid)
    return found[1]


def registry_kid(context: RegistryContext) -> str:
    return _kid(context.signing_key)


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
    key = context.signing_key
    return sign_compact(dumps_canonical_fast(registered_claims(payload)), key, _kid(key), DECISION_TYP)
