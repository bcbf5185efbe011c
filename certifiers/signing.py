"""Turn a validated payload into the exact bytes that are signed, and sign them as a compact JWS.

The payload is serialized with RFC 8785 (JCS), so the same record always gives the same bytes, and,
Ed25519 being deterministic, the same JWS and therefore the same certificate id. That is what makes a
rerun of a bulk submission harmless: the registry recognises the resubmission as a duplicate.
"""

from __future__ import annotations

import hashlib

from certifiers.keys import SigningKey
from verification.canonical import dumps_canonical
from verification.jws import sign_compact
from verification.payloads.common import Payload


def payload_bytes(payload: Payload) -> bytes:
    """Canonical JSON of the payload as its aliases name the members, with absent options left out."""
    return dumps_canonical(payload.model_dump(mode="json", by_alias=True, exclude_none=True))


def sign_payload(payload: Payload, typ: str, signer: SigningKey) -> str:
    return sign_compact(payload_bytes(payload), signer.private_key, signer.kid, typ)


def document_sha256(token: str) -> str:
    """Hex SHA-256 of a JWS's exact ASCII bytes: a certificate's id, and the link of an event chain."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()
