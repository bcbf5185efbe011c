"""verification.jws / verification.jwk: the Ed25519-pinned JWS profile and every refusal it promises."""

from __future__ import annotations

import hashlib
import hmac
import json
import warnings
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws as jose_jws
from joserfc.jwk import OKPKey

from verification.b64 import b64url_decode, b64url_encode
from verification.ed25519 import generate_private_key, private_key_from_seed, sign_ed25519, verify_ed25519
from verification.errors import AlgorithmRefused, MalformedInput, SignatureInvalid, UnknownKey
from verification.jws import (
    PublicKey,
    check_compact,
    jwk_thumbprint,
    parse_public_jwk,
    protected_header,
    read_protected_header,
    sign_compact,
    verify_compact,
    verify_compact_with_header,
)

KEY = generate_private_key()
PUBLIC = PublicKey.from_private_key(KEY)
TYP = "ecolabel-credential+jwt"


def _hand_token(header: dict[str, Any] | str, payload: bytes = b"{}", key: Ed25519PrivateKey = KEY) -> str:
    """A token built without our signer, validly Ed25519-signed, so that only the policy can refuse it."""
    raw = header if isinstance(header, str) else json.dumps(header)
    signing_input = f"{b64url_encode(raw.encode())}.{b64url_encode(payload)}"
    return f"{signing_input}.{b64url_encode(sign_ed25519(key, signing_input.encode()))}"


@pytest.mark.parametrize("alg", ["EdDSA", "Ed25519"])
def test_round_trip_is_exact_and_silent(alg: str) -> None:
    payload = b'{"b":1,"a":"\xc3\xa9"}\x00\xff'
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        token = sign_compact(payload, KEY, PUBLIC.kid, TYP, alg, extra_header={"iat": 1})
        verified = verify_compact(token, PUBLIC, expected_typ=TYP)
    assert caught == []  # joserfc's "EdDSA is deprecated" SecurityWarning must not escape
    assert verified.payload == payload
    assert verified.kid == PUBLIC.kid
    assert dict(verified.header) == {"alg": alg, "kid": PUBLIC.kid, "typ": TYP, "iat": 1}
    assert verified.signing_input == token.rsplit(".", 1)[0].encode()
    assert read_protected_header(token)["alg"] == alg


@pytest.mark.parametrize("alg", ["EdDSA", "Ed25519"])
@pytest.mark.parametrize(
    ("payload", "extra"),
    [
        (b"{}", None),
        (b'{"b":1,"a":"\xc3\xa9"}\x00\xff', None),
        (b"x" * 1000, {"iat": 1, "note": "caf\u00e9 \u2014 \U0001f600", "list": [1, None, True]}),
        (b"", {"x5t#S256": "abc"}),
    ],
)
def test_sign_compact_writes_the_bytes_joserfc_writes(alg: str, payload: bytes, extra: dict[str, Any] | None) -> None:
    # Ed25519 is deterministic (RFC 8032 §5.1.6), so the same header and payload give the same token.
    header = {"alg": alg, "kid": PUBLIC.kid, "typ": TYP, **(extra or {})}
    registry = jose_jws.JWSRegistry(algorithms=[alg], strict_check_header=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc's notice about the name "EdDSA" (RFC 9864)
        expected = jose_jws.serialize_compact(header, payload, OKPKey.import_key(KEY), registry=registry)
        for _ in range(2):  # the second from the memo of header segments
            token = sign_compact(payload, KEY, PUBLIC.kid, TYP, alg, extra_header=extra)
            assert token == expected
            public = OKPKey.import_key(KEY.public_key())
            assert jose_jws.deserialize_compact(token, public, registry=registry).payload == payload


def test_hand_built_token_with_our_policy_verifies() -> None:
    token = _hand_token({"alg": "EdDSA", "kid": PUBLIC.kid, "typ": TYP})
    assert verify_compact(token, PUBLIC).payload == b"{}"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ({"kid": "k"}, "ALG_MISSING"),
        ({"alg": None, "kid": "k"}, "ALG_MISSING"),
        ({"alg": "none", "kid": "k"}, "ALG_NONE"),
        ({"alg": "None", "kid": "k"}, "ALG_NONE"),
        ({"alg": "RS256", "kid": "k"}, "ALG_NOT_ALLOWED"),
        ({"alg": "PS256", "kid": "k"}, "ALG_NOT_ALLOWED"),
        ({"alg": "ES256", "kid": "k"}, "ALG_NOT_ALLOWED"),
        ({"alg": "Ed448", "kid": "k"}, "ALG_NOT_ALLOWED"),
        ({"alg": "EdDSA", "kid": "k", "crit": ["exp"], "exp": 1}, "CRIT_UNSUPPORTED"),
        ({"alg": "EdDSA", "kid": "k", "crit": []}, "CRIT_UNSUPPORTED"),
        ({"alg": "EdDSA", "kid": "k", "b64": False, "crit": ["b64"]}, "CRIT_UNSUPPORTED"),
        ({"alg": "EdDSA", "kid": "k", "b64": False}, "B64_UNSUPPORTED"),
        ({"alg": "EdDSA", "kid": "k", "jwk": {"kty": "OKP"}}, "KEY_IN_HEADER"),
        ({"alg": "EdDSA", "kid": "k", "jku": "https://evil.example/jwks"}, "KEY_IN_HEADER"),
        ({"alg": "EdDSA", "kid": "k", "x5u": "https://evil.example/cert"}, "KEY_IN_HEADER"),
        ({"alg": "EdDSA", "kid": "k", "x5c": ["MIIB"]}, "KEY_IN_HEADER"),
    ],
    ids=lambda v: v if isinstance(v, str) else "-".join(k for k in v if k not in ("alg", "kid")) or str(v.get("alg")),
)
def test_algorithm_refusals(header: dict[str, Any], code: str) -> None:
    header["kid"] = PUBLIC.kid
    with pytest.raises(AlgorithmRefused) as caught:
        verify_compact(_hand_token(header), PUBLIC)
    assert caught.value.code == code
    assert check_compact(_hand_token(header), PUBLIC).code == code


def test_alg_none_with_empty_signature() -> None:
    header = b64url_encode(json.dumps({"alg": "none", "kid": PUBLIC.kid}).encode())
    with pytest.raises(AlgorithmRefused, match="ALG_NONE"):
        verify_compact(f"{header}.{b64url_encode(b'{}')}.", PUBLIC)


def test_hs256_keyed_with_the_public_key_is_refused() -> None:
    # The classic confusion: a verifier that lets the token pick HMAC would use the public key as secret.
    signing_input = f"{b64url_encode(json.dumps({'alg': 'HS256', 'kid': PUBLIC.kid}).encode())}.{b64url_encode(b'{}')}"
    mac = hmac.new(PUBLIC.raw, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(AlgorithmRefused, match="ALG_HMAC"):
        verify_compact(f"{signing_input}.{b64url_encode(mac)}", PUBLIC)


def test_tampering_is_refused() -> None:
    token = sign_compact(b'{"grade":"B"}', KEY, PUBLIC.kid, TYP)
    header, _, signature = token.split(".")
    forged = b64url_encode(b'{"grade":"A"}')
    with pytest.raises(SignatureInvalid):
        verify_compact(f"{header}.{forged}.{signature}", PUBLIC)
    flipped = bytearray(b64url_decode(signature))
    flipped[0] ^= 1
    with pytest.raises(SignatureInvalid):
        verify_compact(f"{header}.{token.split('.')[1]}.{b64url_encode(bytes(flipped))}", PUBLIC)
    other = PublicKey(PUBLIC.kid, PublicKey.from_private_key(generate_private_key()).raw)
    with pytest.raises(SignatureInvalid):
        verify_compact(token, other)


def test_kid_must_name_the_configured_key() -> None:
    with pytest.raises(UnknownKey, match="KID_MISMATCH"):
        verify_compact(sign_compact(b"{}", KEY, "someone-else", TYP), PUBLIC)
    with pytest.raises(UnknownKey, match="KID_MISSING"):
        verify_compact(_hand_token({"alg": "EdDSA"}), PUBLIC)


def test_typ_is_checked_as_a_media_type() -> None:
    token = sign_compact(b"{}", KEY, PUBLIC.kid, TYP)
    verify_compact(token, PUBLIC, expected_typ="application/ECOLABEL-credential+JWT")  # RFC 7515 §4.1.9
    with pytest.raises(MalformedInput, match="WRONG_TYP"):
        verify_compact(token, PUBLIC, expected_typ="ecolabel-agreement+jwt")


_H = b64url_encode(json.dumps({"alg": "EdDSA", "kid": PUBLIC.kid}).encode())
_SIG = b64url_encode(b"\x00" * 64)


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("a.b", "INVALID_JWS"),
        ("a.b.c.d.e", "INVALID_JWS"),
        ("", "INVALID_JWS"),
        (f"{_H}.e30.{_SIG}\u00e9", "INVALID_JWS"),
        (f"{_H}=.e30.{_SIG}", "INVALID_BASE64URL"),
        (f"{_H}.e30.{_SIG[:-2]}+/", "INVALID_BASE64URL"),
        (f"{_H}.e31.{_SIG}", "INVALID_JWS"),
        (f"{_H}.e30.{_SIG}AA", "BAD_SIGNATURE_LENGTH"),
    ],
    ids=[
        "two-parts",
        "five-parts",
        "empty",
        "non-ascii",
        "padded-header",
        "std-alphabet-signature",
        "non-canonical-payload",
        "oversized-signature",
    ],
)
def test_malformed_tokens(token: str, code: str) -> None:
    with pytest.raises(MalformedInput) as caught:
        verify_compact(token, PUBLIC)
    assert caught.value.code == code


def test_header_parsing_is_strict() -> None:
    with pytest.raises(MalformedInput, match="DUPLICATE_KEY"):
        verify_compact(_hand_token('{"alg":"EdDSA","alg":"none","kid":"' + PUBLIC.kid + '"}'), PUBLIC)
    with pytest.raises(MalformedInput, match="INVALID_JWS"):
        read_protected_header(_hand_token("[1]"))
    with pytest.raises(MalformedInput, match="TOO_LARGE"):
        read_protected_header("a" * 100 + ".b.c", max_bytes=50)


def test_a_kept_header_is_read_only_and_refused_headers_are_never_kept() -> None:
    token = sign_compact(b"{}", KEY, PUBLIC.kid, TYP)
    segment = token.split(".")[0]
    kept = protected_header(segment)
    assert protected_header(segment) is kept  # a signer's one header is parsed once
    assert dict(kept) == {"alg": "EdDSA", "kid": PUBLIC.kid, "typ": TYP}
    with pytest.raises(TypeError):
        kept["alg"] = "none"  # type: ignore[index]  # the refusal is what is tested
    copy = read_protected_header(token)
    copy["alg"] = "none"  # the caller's own dict: what is kept does not change
    assert protected_header(segment)["alg"] == "EdDSA"
    assert verify_compact(token, PUBLIC, expected_typ=TYP).payload == b"{}"
    # A duplicate member is refused every time, and a header with a container member is never kept.
    duplicate = b64url_encode(b'{"alg":"EdDSA","alg":"none"}')
    for _ in range(2):
        with pytest.raises(MalformedInput, match="DUPLICATE_KEY"):
            protected_header(duplicate)
    nested = b64url_encode(json.dumps({"alg": "EdDSA", "kid": PUBLIC.kid, "x": {"y": 1}}).encode())
    assert protected_header(nested) is not protected_header(nested)


def test_a_header_that_passed_its_checks_is_checked_again_for_another_type_or_key() -> None:
    token = sign_compact(b"{}", KEY, PUBLIC.kid, TYP)
    for _ in range(2):  # the second time, the header's checks are known to pass for this kid and type
        assert verify_compact(token, PUBLIC, expected_typ=TYP).payload == b"{}"
    with pytest.raises(MalformedInput, match="WRONG_TYP"):
        verify_compact(token, PUBLIC, expected_typ="vc+jwt")
    other = PublicKey.from_private_key(KEY, kid="another-kid")
    with pytest.raises(UnknownKey, match="KID_MISMATCH"):
        verify_compact(token, other, expected_typ=TYP)
    # A header handed in that is not the kept parse of the token's own segment gets every check.
    forged = {"alg": "none", "kid": PUBLIC.kid, "typ": TYP}
    with pytest.raises(AlgorithmRefused, match="ALG_NONE"):
        verify_compact_with_header(token, forged, PUBLIC, expected_typ=TYP)
    with pytest.raises(SignatureInvalid):
        verify_compact(token.rsplit(".", 1)[0] + "." + b64url_encode(bytes(64)), PUBLIC, expected_typ=TYP)


def test_sign_compact_refusals() -> None:
    with pytest.raises(AlgorithmRefused):
        sign_compact(b"{}", KEY, PUBLIC.kid, TYP, "HS256")
    for name in ("alg", "kid", "jwk", "crit", "b64"):
        with pytest.raises(AlgorithmRefused, match="HEADER_REFUSED"):
            sign_compact(b"{}", KEY, PUBLIC.kid, TYP, extra_header={name: "x"})
    with pytest.raises(MalformedInput, match="NON_FINITE_NUMBER"):
        sign_compact(b"{}", KEY, PUBLIC.kid, TYP, extra_header={"n": float("nan")})
    with pytest.raises(MalformedInput, match="INVALID_JWS"):
        sign_compact(b"{}", KEY, PUBLIC.kid, TYP, extra_header={"x5t": 1})  # a registered member's type
    with pytest.raises(MalformedInput, match="INVALID_JWS"):
        sign_compact(b"{}", Ed448PrivateKey.generate(), PUBLIC.kid, TYP)  # type: ignore[arg-type]  # the refusal


def test_public_jwk_round_trip_and_refusals() -> None:
    assert parse_public_jwk(PUBLIC.to_jwk()) == PUBLIC
    jwk = {k: v for k, v in PUBLIC.to_jwk().items() if k != "kid"}
    assert parse_public_jwk(jwk).kid == jwk_thumbprint(jwk) == PUBLIC.thumbprint()
    with pytest.raises(MalformedInput, match="PRIVATE_JWK"):
        parse_public_jwk({**jwk, "d": b64url_encode(b"\x00" * 32)})
    with pytest.raises(AlgorithmRefused):
        parse_public_jwk({**jwk, "crv": "X25519"})
    with pytest.raises(AlgorithmRefused):
        parse_public_jwk({"kty": "RSA", "n": "AQAB", "e": "AQAB"})
    with pytest.raises(MalformedInput, match="BAD_KEY_LENGTH"):
        parse_public_jwk({**jwk, "x": b64url_encode(b"\x01" * 31)})
    with pytest.raises(MalformedInput, match="BAD_KEY_USE"):
        parse_public_jwk({**jwk, "use": "enc"})
    with pytest.raises(AlgorithmRefused):
        parse_public_jwk({**jwk, "alg": "ES256"})
    with pytest.raises(MalformedInput, match="BAD_JWK"):
        parse_public_jwk([jwk])


# RFC 8037 Appendix A: the Ed25519 example key, its thumbprint (A.3) and signed JWS (A.4).
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_JWK = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_JWS = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)


def test_rfc8037_thumbprint() -> None:
    assert jwk_thumbprint(RFC8037_JWK) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_rfc8037_signature() -> None:
    key = parse_public_jwk({**RFC8037_JWK, "kid": "rfc8037"})
    assert PublicKey.from_private_key(private_key_from_seed(b64url_decode(RFC8037_D)), "rfc8037") == key
    header, payload, signature = RFC8037_JWS.split(".")
    verify_ed25519(key.raw, b64url_decode(signature), f"{header}.{payload}".encode())
    assert b64url_decode(payload) == b"Example of Ed25519 signing"
    # The RFC's token names no kid, so our profile (which pins the key by kid) refuses it.
    with pytest.raises(UnknownKey, match="KID_MISSING"):
        verify_compact(RFC8037_JWS, key)
