"""Signing decisions with the registry's key (the key that signs checkpoints, published in its JWKS)."""

from __future__ import annotations

from typing import Any

from ecolabel_registry.context import RegistryContext
from verification.canonical import dumps_canonical_fast
from verification.decision import DECISION_TYP
from verification.jwk import PublicKey
from verification.jws import sign_compact


def registry_kid(context: RegistryContext) -> str:
    return PublicKey.from_private_key(context.signing_key).kid


def sign_decision(context: RegistryContext, payload: dict[str, Any]) -> str:
    return sign_compact(dumps_canonical_fast(payload), context.signing_key, registry_kid(context), DECISION_TYP)
