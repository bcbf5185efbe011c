"""Signing demo documents exactly as a certification body does (see `certifiers.signing`).

The payload is serialized with RFC 8785 (JCS) and Ed25519 is deterministic, so the same payload always
gives the same JWS: a second demo load re-creates byte-identical documents, whose ids (their SHA-256)
the registry already knows. `ecolabel_registry` may not import `certifiers` (dependencies point one
way), so this mirrors its two lines on top of `verification`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ecolabel_registry.demo.keys import DemoKey
from verification.canonical import dumps_canonical_fast
from verification.jws import sign_compact


def sign(payload: dict[str, Any], typ: str, key: DemoKey) -> str:
    """Signed under the key's kid, or, for a payload issued by a DID, under the DID URL `<issuer>#<kid>`."""
    issuer = payload.get("issuer")
    kid = f"{issuer}#{key.kid}" if isinstance(issuer, str) and issuer.startswith("did:") else key.kid
    return sign_compact(dumps_canonical_fast(payload), key.private_key, kid, typ)


def sha256_hex(token: str) -> str:
    """A signed document's id: the hex SHA-256 of its exact JWS bytes."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()
