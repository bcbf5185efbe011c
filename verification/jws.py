"""JWS Compact Serialization (RFC 7515 §7.1) pinned to Ed25519, with joserfc's header rules.

Header members are checked by joserfc's registry; the signature is checked, and written, here over
segments decoded once by the one base64url codec, by `cryptography`'s Ed25519. Tests hold both
directions to joserfc: the tokens signed here are byte for byte joserfc's, and a token is accepted
here exactly when joserfc's own `deserialize_compact`, under the same policy, accepts it.

The verifier, not the token, chooses the algorithm: the key is Ed25519, so only ``alg`` ``EdDSA``
(RFC 8037 §3.1) or ``Ed25519`` (RFC 9864 §2.2) is accepted. Everything that lets a token influence
how it is verified is refused before joserfc sees it: ``none`` and HMAC (the classic algorithm
confusion, RFC 8725 §2.1), keys carried or fetched via ``jwk``/``jku``/``x5u``/``x5c`` (RFC 8725 §3.10),
any ``crit`` extension (RFC 7515 §4.1.11: we understand none), and unencoded payloads (RFC 7797).
joserfc errors are translated into :mod:`verification.errors` here and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws as jose_jws
from joserfc.errors import JoseError, UnsupportedAlgorithmError
from joserfc.jwa import JWSAlgModel

from verification.b64 import b64url_decode, b64url_encode
from verification.canonical import dumps_canonical
from verification.ed25519 import SIGNATURE_SIZE, verify_ed25519
from verification.errors import AlgorithmRefused, MalformedInput, SignatureInvalid, UnknownKey
from verification.jwk import JWS_ALGORITHMS, PublicKey, jwk_thumbprint, parse_public_jwk
from verification.result import VerificationResult, capture
from verification.strictjson import loads_strict

__all__ = [
    "DEFAULT_MAX_TOKEN_BYTES",
    "JWS_ALGORITHMS",
    "PublicKey",
    "VerifiedJWS",
    "check_compact",
    "check_segments",
    "compact_segments",
    "jwk_thumbprint",
    "parse_public_jwk",
    "protected_header",
    "read_protected_header",
    "sign_compact",
    "verify_compact",
]

DEFAULT_MAX_TOKEN_BYTES = 1_048_576
#: Header members that carry or point at a key: trusting them lets the token choose its own key.
_KEY_CARRYING = ("jwk", "jku", "x5u", "x5c")


class _PinnedRegistry(jose_jws.JWSRegistry):
    """joserfc registry that knows only our two algorithm names.

    joserfc 1.8 emits ``SecurityWarning("EdDSA is deprecated via RFC 9864")`` from ``get_alg``.
    RFC 9864 §2.2 deprecates only the polymorphic name; with the key pinned to Ed25519, "EdDSA" is
    unambiguous. Overriding ``get_alg`` avoids the warning without touching the process-wide (and
    not thread-safe) warnings filters.
    """

    max_header_length = 8192
    max_payload_length = DEFAULT_MAX_TOKEN_BYTES
    max_signature_length = 128  # base64url of a 64-byte signature is 86 characters

    def get_alg(self, name: str) -> JWSAlgModel:
        if name not in JWS_ALGORITHMS:
            raise UnsupportedAlgorithmError(f"Algorithm of '{name}' is not allowed")
        return self.algorithms[name]


# strict_check_header=False: extension members a signer adds via extra_header are application data.
_REGISTRY = _PinnedRegistry(algorithms=JWS_ALGORITHMS, strict_check_header=False)


@dataclass(frozen=True)
class VerifiedJWS:
    """A JWS whose signature verified: protected header, payload bytes, signer kid, signing input."""

    header: Mapping[str, Any]
    payload: bytes
    kid: str
    signing_input: bytes


def read_protected_header(token: str, *, max_bytes: int = DEFAULT_MAX_TOKEN_BYTES) -> dict[str, Any]:
    """Decode the protected header of a compact JWS WITHOUT verifying it (e.g. to pick a key by kid)."""
    return dict(protected_header(compact_segments(token, max_bytes=max_bytes)[0]))


def compact_segments(token: str, *, max_bytes: int = DEFAULT_MAX_TOKEN_BYTES) -> tuple[str, str, str]:
    """The header, payload and signature segments of a compact JWS, split once (RFC 7515 §7.1)."""
    if not isinstance(token, str) or not token.isascii():
        raise MalformedInput("INVALID_JWS", "a compact JWS is an ASCII string")
    if len(token) > max_bytes:
        raise MalformedInput("TOO_LARGE", f"token of {len(token)} bytes exceeds the limit of {max_bytes}")
    parts = token.split(".")
    if len(parts) != 3:  # RFC 7515 §7.1; five parts would be a JWE (RFC 7516 §7.1)
        raise MalformedInput("INVALID_JWS", f"compact JWS has 3 dot-separated parts, not {len(parts)}")
    return parts[0], parts[1], parts[2]


def protected_header(segment: str) -> Mapping[str, Any]:
    """The strict parse of a protected header segment, read only (not verified).

    A signer writes the same header on every document it signs, so the parse of a short header of
    string members is kept by its exact segment (`_HEADERS`): a pure function of the text.
    """
    header = _HEADERS.get(segment)
    if header is not None:
        return header
    parsed = loads_strict(b64url_decode(segment, what="JWS protected header"))
    if not isinstance(parsed, dict):
        raise MalformedInput("INVALID_JWS", "JWS protected header is not a JSON object")
    header = MappingProxyType(parsed)
    if len(segment) <= _HEADER_MAX_CHARS and all(isinstance(value, str) for value in parsed.values()):
        if len(_HEADERS) >= _HEADERS_MAX:
            _HEADERS.clear()
        _HEADERS[segment] = header
    return header


# Parsed protected headers by their segment: only headers of at most `_HEADER_MAX_CHARS` characters whose
# members are all strings (nothing in an entry can be changed through the read-only view); emptied when full.
_HEADERS: dict[str, Mapping[str, Any]] = {}
_HEADERS_MAX = 1024
_HEADER_MAX_CHARS = 512
# (segment, kid, expected typ) of each kept header that passed every check of a header (`check_segments`):
# a pure function of the three; emptied when full.
_PASSED: set[tuple[str, str, str | None]] = set()


def _header_passed(passed: tuple[str, str, str | None], header: Mapping[str, Any]) -> None:
    if header is _HEADERS.get(passed[0]):  # only the parse of that very segment
        if len(_PASSED) >= _HEADERS_MAX:
            _PASSED.clear()
        _PASSED.add(passed)


def _enforce_policy(header: Mapping[str, Any], key: PublicKey, expected_typ: str | None) -> None:
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise AlgorithmRefused("ALG_MISSING", "JWS header has no string 'alg' (RFC 7515 §4.1.1)")
    if alg.lower() == "none":
        raise AlgorithmRefused("ALG_NONE", "unsecured JWS (alg 'none') is never accepted")
    if alg.upper().startswith("HS"):
        raise AlgorithmRefused("ALG_HMAC", f"HMAC {alg!r} refused: the key is an Ed25519 public key")
    if alg not in JWS_ALGORITHMS:
        raise AlgorithmRefused("ALG_NOT_ALLOWED", f"algorithm {alg!r} refused; only EdDSA or Ed25519")
    if "crit" in header:
        raise AlgorithmRefused("CRIT_UNSUPPORTED", "JWS declares critical extensions; none are supported")
    if header.get("b64", True) is not True:
        raise AlgorithmRefused("B64_UNSUPPORTED", "unencoded payloads (RFC 7797 'b64') are not supported")
    carried = [name for name in _KEY_CARRYING if name in header]
    if carried:
        raise AlgorithmRefused("KEY_IN_HEADER", f"header members {carried} carry keys; keys are configured")
    kid = header.get("kid")
    if kid is None:
        raise UnknownKey("KID_MISSING", "JWS header has no 'kid'")
    if kid != key.kid:
        raise UnknownKey("KID_MISMATCH", f"JWS names key {kid!r}, expected {key.kid!r}")
    if expected_typ is not None and _media_type(header.get("typ")) != _media_type(expected_typ):
        raise MalformedInput("WRONG_TYP", f"JWS typ is {header.get('typ')!r}, expected {expected_typ!r}")


def _media_type(typ: object) -> str | None:
    # RFC 7515 §4.1.9: case-insensitive, and "application/" is implied when there is no "/".
    if not isinstance(typ, str):
        return None
    typ = typ.lower()
    return typ if "/" in typ else f"application/{typ}"


def verify_compact(
    token: str, key: PublicKey, *, expected_typ: str | None = None, max_bytes: int = DEFAULT_MAX_TOKEN_BYTES
) -> VerifiedJWS:
    """Verify a compact JWS signed by ``key`` and return its header and payload."""
    return verify_compact_with_header(
        token, read_protected_header(token, max_bytes=max_bytes), key, expected_typ=expected_typ
    )


def verify_compact_with_header(
    token: str,
    header: Mapping[str, Any],
    key: PublicKey,
    *,
    expected_typ: str | None = None,
    payload: bytes | None = None,
) -> VerifiedJWS:
    """`verify_compact` for a caller that already read this token's header with `read_protected_header`
    (to choose the key by its kid) and, if it read it, its payload segment's bytes (`payload`): neither
    is decoded or parsed a second time.

    joserfc checks the header's registered members (RFC 7515 §4.1) and its size; the signature is then
    checked here over the signing input (RFC 7515 §5.2 steps 8-9) by `verify_ed25519`, since
    `jws.deserialize_compact` would decode and parse header and payload again, with another codec.
    """
    header_b64, payload_b64, signature_b64 = token.split(".")
    segments = (header_b64, payload_b64, signature_b64)
    payload, signing_input = check_segments(segments, header, key, expected_typ=expected_typ, payload=payload)
    return VerifiedJWS(header=MappingProxyType(header), payload=payload, kid=key.kid, signing_input=signing_input)


def check_segments(
    segments: tuple[str, str, str],
    header: Mapping[str, Any],
    key: PublicKey,
    *,
    expected_typ: str | None = None,
    payload: bytes | None = None,
) -> tuple[bytes, bytes]:
    """`verify_compact_with_header` over a token's segments as `compact_segments` split them, for a caller
    that keeps the header it passed: the payload and the signing input.

    The header's checks (the policy for this key and type, then joserfc's) are those of every token
    with this header segment: once a kept header (`protected_header`) passed them for a kid and type,
    they are not made again for it (`_PASSED`); the signature and the payload are checked every time.
    """
    header_b64, payload_b64, signature_b64 = segments
    passed = (header_b64, key.kid, expected_typ)
    known = passed in _PASSED and header is _HEADERS.get(header_b64)
    if not known:
        _enforce_policy(header, key, expected_typ)
    # An undecodable or wrong-length signature is a malformed token, not a bad signature.
    signature = b64url_decode(signature_b64, what="JWS signature")
    if len(signature) != SIGNATURE_SIZE:
        raise MalformedInput("BAD_SIGNATURE_LENGTH", f"an Ed25519 JWS signature is {SIGNATURE_SIZE} bytes")
    try:
        if not known:
            _REGISTRY.validate_header_size(header_b64.encode("ascii"))
        _REGISTRY.validate_payload_size(payload_b64.encode("ascii"))
        if not known:
            _REGISTRY.check_header(dict(header))
            _REGISTRY.get_alg(header["alg"])
            _header_passed(passed, header)
    except UnsupportedAlgorithmError as err:
        raise AlgorithmRefused("ALG_NOT_ALLOWED", err.description) from err
    except JoseError as err:
        raise MalformedInput("INVALID_JWS", err.description or err.error) from err
    if payload is None:
        try:
            payload = b64url_decode(payload_b64, what="JWS payload")
        except MalformedInput as err:
            raise MalformedInput("INVALID_JWS", "Invalid payload") from err
    signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
    try:
        verify_ed25519(key.raw, signature, signing_input)
    except SignatureInvalid as err:
        raise SignatureInvalid("BAD_SIGNATURE", f"JWS signature does not verify under {key.kid!r}") from err
    except MalformedInput as err:  # the key's bytes, not the token: no Ed25519 public key
        raise MalformedInput("INVALID_PUBLIC_KEY", "key bytes are not an Ed25519 public key") from err
    return payload, signing_input


def check_compact(token: str, key: PublicKey, *, expected_typ: str | None = None) -> VerificationResult:
    """Non-raising twin of :func:`verify_compact`."""
    return capture(lambda: verify_compact(token, key, expected_typ=expected_typ))


def sign_compact(
    payload: bytes,
    private_key: Ed25519PrivateKey,
    kid: str,
    typ: str,
    alg: str = "EdDSA",
    *,
    extra_header: Mapping[str, Any] | None = None,
) -> str:
    """Sign ``payload`` exactly as given (no re-serialization) into a compact JWS.

    The bytes are those joserfc's ``serialize_compact`` writes for the same header and payload (a test
    holds the two equal): the header's JSON as joserfc encodes it, and one Ed25519 signature (RFC 8037
    §3.1) of the signing input by ``cryptography``, which joserfc calls too. Written here, the header
    segment of a (alg, kid, typ) is encoded and checked once per process, and a signature costs no
    conversion of the key into a JWK object (joserfc derives the public key on every call).
    """
    if not isinstance(private_key, Ed25519PrivateKey):
        raise MalformedInput("INVALID_JWS", "a JWS is signed here with an Ed25519 private key only")
    if extra_header:
        header_segment = _header_segment(alg, kid, typ, extra_header)
    else:
        header_segment = _HEADER_SEGMENTS.get((alg, kid, typ)) or _plain_header_segment(alg, kid, typ)
    signing_input = header_segment + b"." + b64url_encode(payload).encode("ascii")
    return f"{signing_input.decode('ascii')}.{b64url_encode(private_key.sign(signing_input))}"


# Header segments without extra members, by (alg, kid, typ): a pure function of its key, so an entry is
# never wrong; a process signs with a handful of keys and types (emptied when full all the same).
_HEADER_SEGMENTS: dict[tuple[str, str, str], bytes] = {}
_HEADER_SEGMENTS_MAX = 1024


def _plain_header_segment(alg: str, kid: str, typ: str) -> bytes:
    segment = _header_segment(alg, kid, typ, None)
    if len(_HEADER_SEGMENTS) >= _HEADER_SEGMENTS_MAX:
        _HEADER_SEGMENTS.clear()
    _HEADER_SEGMENTS[(alg, kid, typ)] = segment
    return segment


def _header_segment(alg: str, kid: str, typ: str, extra_header: Mapping[str, Any] | None) -> bytes:
    """BASE64URL(UTF8(JWS Protected Header)) (RFC 7515 §7.1), after the policy and joserfc's checks."""
    if alg not in JWS_ALGORITHMS:
        raise AlgorithmRefused("ALG_NOT_ALLOWED", f"algorithm {alg!r} refused; only EdDSA or Ed25519")
    header: dict[str, Any] = {"alg": alg, "kid": kid, "typ": typ}
    for name, value in (extra_header or {}).items():
        if name in header or name in _KEY_CARRYING or name in ("crit", "b64"):
            raise AlgorithmRefused("HEADER_REFUSED", f"extra header member {name!r} is not allowed")
        header[name] = value
    dumps_canonical(header)  # refuses values that are not strict JSON before they are signed
    try:
        _REGISTRY.check_header(header)  # the registered members' types, as joserfc checks them
    except JoseError as err:
        raise MalformedInput("INVALID_JWS", err.description or err.error) from err
    # joserfc's encoding of a header (`joserfc.util.json_b64encode`), so that the bytes are the same.
    return b64url_encode(json.dumps(header, ensure_ascii=True, separators=(",", ":")).encode("ascii")).encode("ascii")
