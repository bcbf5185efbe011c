"""The strict base64url decoder refuses exactly what its regular expression and the strict standard
decoder refused, with the same message, and reads the rest to the same bytes."""

from __future__ import annotations

import binascii
import re

from hypothesis import given
from hypothesis import strategies as st

from verification.b64 import b64url_decode, b64url_encode
from verification.errors import MalformedInput

_URL = re.compile(r"[A-Za-z0-9_-]*")
_VALUE = {c: v for v, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")}


def _reference(text: str) -> bytes | str:
    """The decoder as it was written first: the alphabet matched, the last character's spare bits, then
    `binascii` in strict mode. A refusal is its message."""
    if not _URL.fullmatch(text) or len(text) % 4 == 1:
        return "value is not unpadded base64url"
    tail = len(text) % 4
    if tail and _VALUE[text[-1]] & (0x0F if tail == 2 else 0x03):
        return "value is not in canonical base64url form"
    try:
        standard = text.encode("ascii").translate(bytes.maketrans(b"-_", b"+/"))
        return binascii.a2b_base64(standard + b"=" * (-len(text) % 4), strict_mode=True)
    except binascii.Error as err:
        return f"value is not base64url: {err}"


def _decoded(text: str) -> bytes | str:
    try:
        return b64url_decode(text)
    except MalformedInput as exc:
        return f"{exc.code}: {exc.detail}"


@given(st.text(alphabet="AQgw09az-_+/= \n.é\x00", max_size=12))
def test_every_text_is_read_or_refused_as_the_reference_does(text: str) -> None:
    expected = _reference(text)
    assert _decoded(text) == (expected if isinstance(expected, bytes) else f"INVALID_BASE64URL: {expected}")


@given(st.binary(max_size=64))
def test_every_encoding_reads_back(data: bytes) -> None:
    assert b64url_decode(b64url_encode(data)) == data
