"""Property tests: a signed document verifies, any single-bit change to it does not, and canonical JSON is a
fixed point. Merkle proofs have their own properties in test_merkle_properties.py.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verification.canonical import dumps_canonical
from verification.ed25519 import generate_private_key
from verification.errors import VerificationError
from verification.jwk import PublicKey
from verification.jws import sign_compact, verify_compact
from verification.strictjson import loads_strict

SETTINGS = settings(max_examples=60, deadline=None)
KEY = generate_private_key()
PUBLIC = PublicKey.from_private_key(KEY, kid="k1")
TYP = "vc+jwt"

# I-JSON (RFC 7493) values, the domain RFC 8785 canonicalizes: integers within ±2^53, finite doubles.
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=25,
)
payloads = st.dictionaries(st.text(max_size=10), json_values, min_size=1, max_size=6)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _flip(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[(bit // 8) % len(changed)] ^= 1 << (bit % 8)
    return bytes(changed)


@SETTINGS
@given(payload=payloads)
def test_a_signed_payload_verifies_to_its_exact_bytes(payload: dict[str, Any]) -> None:
    body = dumps_canonical(payload)
    assert verify_compact(sign_compact(body, KEY, "k1", TYP), PUBLIC, expected_typ=TYP).payload == body


@SETTINGS
@given(payload=payloads, part=st.sampled_from([0, 1, 2]), bit=st.integers(min_value=0, max_value=2**16))
def test_any_single_bit_change_to_header_payload_or_signature_fails(
    payload: dict[str, Any], part: int, bit: int
) -> None:
    token = sign_compact(dumps_canonical(payload), KEY, "k1", TYP)
    segments = token.split(".")
    segments[part] = _b64url(_flip(_unb64url(segments[part]), bit))
    with pytest.raises(VerificationError):
        verify_compact(".".join(segments), PUBLIC, expected_typ=TYP)


@SETTINGS
@given(payload=payloads, data=st.data())
def test_any_change_to_one_character_of_the_token_fails(payload: dict[str, Any], data: st.DataObject) -> None:
    # Character-level, not byte-level: a base64url character also carries padding bits; a verifier that
    # ignored them would accept two spellings of one signature (malleability).
    token = sign_compact(dumps_canonical(payload), KEY, "k1", TYP)
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="position")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda c: c != token[position]), label="replacement")
    with pytest.raises(VerificationError):
        verify_compact(token[:position] + replacement + token[position + 1 :], PUBLIC, expected_typ=TYP)


@SETTINGS
@given(value=json_values)
def test_canonicalization_is_idempotent(value: Any) -> None:
    once = dumps_canonical(value)
    assert dumps_canonical(loads_strict(once)) == once


@SETTINGS
@given(value=payloads)
def test_canonical_bytes_do_not_depend_on_key_order(value: dict[str, Any]) -> None:
    reordered = dict(reversed(list(value.items())))
    assert dumps_canonical(reordered) == dumps_canonical(value)
