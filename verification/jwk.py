"""Public Ed25519 JWKs (RFC 7517, RFC 8037 §2) and their RFC 7638 thumbprints, via joserfc.

Only ``{"kty": "OKP", "crv": "Ed25519", "x": ...}`` public keys are accepted: a JWK that carries the
private member ``d`` is refused, because a key that was published with its secret must be replaced.
These names are re-exported by :mod:`verification.jws`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc.jwk import thumbprint

from verification.b64 import b64url_decode, b64url_encode
from verification.ed25519 import PUBLIC_KEY_SIZE, public_key_bytes
from verification.errors import AlgorithmRefused, MalformedInput
from verification.identifiers import IDENTIFIER_WHITESPACE, untidy_reason

__all__ = ["JWS_ALGORITHMS", "PublicKey", "jwk_thumbprint", "parse_public_jwk"]

#: "EdDSA" (RFC 8037 §3.1) and its fully-specified replacement "Ed25519" (RFC 9864 §2.2).
JWS_ALGORITHMS = ("EdDSA", "Ed25519")


def _thumbprint_of(raw: bytes) -> str:
    # RFC 7638 §3.2 with the RFC 8037 §2 required members of an OKP key: crv, kty, x.
    return thumbprint({"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(raw)})


@dataclass(frozen=True)
class PublicKey:
    """A trusted Ed25519 verification key and the ``kid`` that JWS headers must name it by."""

    kid: str
    raw: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.kid, str) or not self.kid:
            raise MalformedInput("BAD_KID", "kid must be a non-empty string")
        # Key ids are compared byte for byte: "k-2026 " would be a second key (verification.identifiers).
        reason = untidy_reason(self.kid)
        if reason is not None:
            raise MalformedInput(IDENTIFIER_WHITESPACE, f"kid {self.kid[:80]!r} may not contain {reason}")
        if len(self.raw) != PUBLIC_KEY_SIZE:
            raise MalformedInput("BAD_KEY_LENGTH", f"Ed25519 public key must be {PUBLIC_KEY_SIZE} bytes")

    @classmethod
    def from_private_key(cls, key: Ed25519PrivateKey, kid: str | None = None) -> PublicKey:
        """The public half of ``key``; ``kid`` defaults to the RFC 7638 thumbprint."""
        raw = public_key_bytes(key)
        return cls(kid if kid is not None else _thumbprint_of(raw), raw)

    @classmethod
    def from_raw(cls, raw: bytes) -> PublicKey:
        """A raw 32-byte Ed25519 public key, named by its RFC 7638 thumbprint."""
        return cls(_thumbprint_of(raw), raw)

    def thumbprint(self) -> str:
        return _thumbprint_of(self.raw)

    def to_jwk(self) -> dict[str, str]:
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(self.raw), "kid": self.kid}


def _raw_public(jwk: Mapping[str, Any]) -> bytes:
    if "d" in jwk:
        raise MalformedInput("PRIVATE_JWK", "JWK contains the private member 'd'; publish only public keys")
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise AlgorithmRefused("UNSUPPORTED_KEY_TYPE", "only OKP keys on curve Ed25519 are accepted")
    x = jwk.get("x")
    if not isinstance(x, str):
        raise MalformedInput("BAD_JWK", "JWK member 'x' must be a string")
    raw = b64url_decode(x, what="JWK member 'x'")
    if len(raw) != PUBLIC_KEY_SIZE:
        raise MalformedInput("BAD_KEY_LENGTH", f"Ed25519 'x' must be {PUBLIC_KEY_SIZE} bytes, got {len(raw)}")
    return raw


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint (base64url) of a public Ed25519 JWK; other members are ignored."""
    if not isinstance(jwk, Mapping):
        raise MalformedInput("BAD_JWK", "a JWK must be a JSON object")
    return _thumbprint_of(_raw_public(jwk))


def parse_public_jwk(obj: Any) -> PublicKey:
    """Validate a public Ed25519 JWK; a missing ``kid`` becomes its RFC 7638 thumbprint."""
    if not isinstance(obj, Mapping):
        raise MalformedInput("BAD_JWK", "a JWK must be a JSON object")
    raw = _raw_public(obj)
    if "alg" in obj and obj["alg"] not in JWS_ALGORITHMS:
        raise AlgorithmRefused("ALG_NOT_ALLOWED", f"JWK alg {obj['alg']!r} is not EdDSA or Ed25519")
    if "use" in obj and obj["use"] != "sig":  # RFC 7517 §4.2
        raise MalformedInput("BAD_KEY_USE", "JWK 'use' must be 'sig' for a verification key")
    key_ops = obj.get("key_ops", ["verify"])
    if not isinstance(key_ops, list) or "verify" not in key_ops:  # RFC 7517 §4.3
        raise MalformedInput("BAD_KEY_USE", "JWK 'key_ops' does not allow 'verify'")
    kid = obj.get("kid", _thumbprint_of(raw))
    return PublicKey(kid, raw)
