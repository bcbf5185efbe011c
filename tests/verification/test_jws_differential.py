"""verification.jws against joserfc, token by token: never accept what joserfc refuses.

The signature is checked in `verification.jws` over segments decoded once, not by joserfc's
`deserialize_compact`. These properties hold the two together on valid tokens and on every kind of
damage a token can take on the wire: each token accepted here is accepted by joserfc under the same
policy, with the same header and payload; a token joserfc accepts and this module refuses is refused
for one of the stricter rules this module states (canonical base64url, strict JSON).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jws as jose_jws
from joserfc.jwk import OKPKey

from verification.b64 import b64url_decode, b64url_encode
from verification.ed25519 import generate_private_key, sign_ed25519
from verification.errors import VerificationError
from verification.jws import JWS_ALGORITHMS, PublicKey, sign_compact, verify_compact

KEY = generate_private_key()
PUBLIC = PublicKey.from_private_key(KEY)
JOSE_PUBLIC = OKPKey.import_key(KEY.public_key())
TYP = "ecolabel-credential+jwt"
REGISTRY = jose_jws.JWSRegistry(algorithms=list(JWS_ALGORITHMS), strict_check_header=False)
# Refusals that are this module's own stricter rules, where joserfc is lenient by design.
STRICTER = {"INVALID_BASE64URL", "INVALID_UTF8", "DUPLICATE_KEY", "INVALID_JSON", "NON_FINITE_NUMBER", "LONE_SURROGATE"}
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _ours(token: str) -> tuple[bool, Any]:
    try:
        verified = verify_compact(token, PUBLIC)
    except VerificationError as err:
        return False, err.code
    return True, (dict(verified.header), verified.payload)


def _joserfc(token: str) -> tuple[bool, Any]:
    """joserfc's verdict, with the policy's header rules (alg pinned, kid named, no crit/b64/keys) applied."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc's notice about the name "EdDSA" (RFC 9864)
            obj = jose_jws.deserialize_compact(token, JOSE_PUBLIC, registry=REGISTRY)
    except Exception:  # noqa: BLE001 - any refusal by joserfc is a refusal
        return False, None
    header = obj.headers()
    refused = {"crit", "jwk", "jku", "x5u", "x5c"} & header.keys() or header.get("b64", True) is not True
    if refused or header.get("kid") != PUBLIC.kid or header.get("alg") not in JWS_ALGORITHMS:
        return False, None
    return True, (dict(header), obj.payload)


def _agree(token: str) -> None:
    ours, our_answer = _ours(token)
    theirs, their_answer = _joserfc(token)
    if ours:
        assert theirs, f"accepted here, refused by joserfc: {token!r}"
        assert our_answer == their_answer
    elif theirs:
        assert our_answer in STRICTER, f"refused here ({our_answer}) but joserfc accepts: {token!r}"


payloads = st.binary(max_size=64) | st.dictionaries(st.text(max_size=5), st.integers(), max_size=3).map(
    lambda d: repr(d).encode()
)
extras = st.dictionaries(
    st.sampled_from(["iat", "cty", "x", "crit", "b64", "jku", "kid2"]), st.integers(0, 9), max_size=2
)


def _signed(payload: bytes, alg: str) -> str:
    return sign_compact(payload, KEY, PUBLIC.kid, TYP, alg)


@settings(max_examples=300, deadline=None)
@given(payload=payloads, alg=st.sampled_from(sorted(JWS_ALGORITHMS)))
def test_valid_tokens_are_accepted_by_both(payload: bytes, alg: str) -> None:
    token = _signed(payload, alg)
    assert _ours(token)[0]
    _agree(token)


@settings(max_examples=600, deadline=None)
@given(
    payload=payloads,
    part=st.integers(0, 2),
    position=st.integers(0, 10_000),
    character=st.sampled_from([*ALPHABET, "=", ".", " ", "+", "/", "\n"]),
)
def test_a_character_changed_anywhere(payload: bytes, part: int, position: int, character: str) -> None:
    segments = _signed(payload, "EdDSA").split(".")
    segment = segments[part]
    at = position % (len(segment) + 1)
    segments[part] = segment[:at] + character + segment[at + 1 :]
    _agree(".".join(segments))


@settings(max_examples=400, deadline=None)
@given(payload=payloads, part=st.integers(0, 2), bit=st.integers(0, 10_000))
def test_a_bit_flipped_in_the_decoded_bytes(payload: bytes, part: int, bit: int) -> None:
    segments = _signed(payload, "EdDSA").split(".")
    raw = bytearray(b64url_decode(segments[part]))
    if raw:
        raw[(bit // 8) % len(raw)] ^= 1 << (bit % 8)
    segments[part] = b64url_encode(bytes(raw))
    _agree(".".join(segments))


@settings(max_examples=300, deadline=None)
@given(
    header=st.fixed_dictionaries(
        {"alg": st.sampled_from(["EdDSA", "Ed25519", "none", "HS256", "ES256", "eddsa"])},
        optional={"kid": st.sampled_from([PUBLIC.kid, "other"]), "typ": st.sampled_from([TYP, "JWT", 3])},
    ),
    extra=extras,
    payload=payloads,
)
def test_headers_signed_by_the_right_key(header: dict[str, Any], extra: dict[str, int], payload: bytes) -> None:
    """Validly signed tokens whose header the policy or joserfc may refuse: both must draw the same line."""
    members = {**header, **extra}
    signing_input = f"{b64url_encode(json.dumps(members).encode())}.{b64url_encode(payload)}"
    _agree(f"{signing_input}.{b64url_encode(sign_ed25519(KEY, signing_input.encode()))}")


def test_the_stricter_refusals_are_real() -> None:
    """A non-canonical last character joserfc decodes is refused here: the documented difference."""
    token = _signed(b"{}", "EdDSA")
    head, payload, signature = token.split(".")
    last = ALPHABET[ALPHABET.index(signature[-1]) + 1]  # a stray low bit: the same bytes to a lenient decoder
    tampered = f"{head}.{payload}.{signature[:-1]}{last}"
    assert _ours(tampered) == (False, "INVALID_BASE64URL")
