"""Strict base64 codecs: exactly one accepted encoding for each byte string.

Lenient decoders accept stray characters, missing or extra padding and non-zero trailing bits, so
several strings decode to the same bytes. For signed data that is malleability, so we decode, re-encode
and require the input to be the canonical form (RFC 4648 §3.5 "canonical encoding").
"""

from __future__ import annotations

import base64
import binascii
import re

from verification.errors import MalformedInput

__all__ = ["b64_decode", "b64_encode", "b64url_decode", "b64url_encode"]

_STD = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_URL = re.compile(r"[A-Za-z0-9_-]*")
_URL_TO_STD = bytes.maketrans(b"-_", b"+/")
_URL_VALUE = {
    character: value
    for value, character in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}


def b64_encode(data: bytes) -> str:
    """Standard alphabet with padding (RFC 4648 §4), as C2SP signed-note and checkpoints use."""
    return base64.b64encode(data).decode("ascii")


def b64_decode(text: str, *, what: str = "value") -> bytes:
    """Decode RFC 4648 §4 base64, refusing anything but its canonical padded form."""
    if not _STD.fullmatch(text):
        raise MalformedInput("INVALID_BASE64", f"{what} is not standard base64")
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error as err:
        raise MalformedInput("INVALID_BASE64", f"{what} is not standard base64: {err}") from err
    if b64_encode(data) != text:
        raise MalformedInput("INVALID_BASE64", f"{what} is not in canonical base64 form")
    return data


def b64url_encode(data: bytes) -> str:
    """URL-safe alphabet without padding, as JOSE requires (RFC 7515 §2, "Base64url Encoding")."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, what: str = "value") -> bytes:
    """Decode unpadded base64url (RFC 7515 §2), refusing padding, other alphabets and stray bits."""
    tail = len(text) % 4
    if tail == 1 or not text.isascii():
        raise MalformedInput("INVALID_BASE64URL", f"{what} is not unpadded base64url")
    data = text.encode("ascii")
    # One pass both reads `-_` as `+/` and drops any `+`, `/` or `=` of the input's own: the strict decoder
    # then refuses every other character outside its alphabet, so what it accepts of a text that lost
    # nothing is exactly the base64url alphabet (`_URL`, matched only to say why a text is refused).
    standard = data.translate(_URL_TO_STD, b"+/=")
    try:
        if len(standard) != len(data):
            raise binascii.Error("a character outside the base64url alphabet")
        decoded = binascii.a2b_base64(standard + b"=" * (-tail % 4), strict_mode=True)
    except binascii.Error as err:
        if not _URL.fullmatch(text):
            raise MalformedInput("INVALID_BASE64URL", f"{what} is not unpadded base64url") from err
        raise MalformedInput("INVALID_BASE64URL", f"{what} is not base64url: {err}") from err
    # Canonical form (RFC 4648 §3.5): the bits of the last character beyond the data are zero. Checked
    # on that character instead of by encoding the decoded bytes again (a credential's payload is ~1 KB).
    if tail and _URL_VALUE[text[-1]] & (0x0F if tail == 2 else 0x03):
        raise MalformedInput("INVALID_BASE64URL", f"{what} is not in canonical base64url form")
    return decoded
