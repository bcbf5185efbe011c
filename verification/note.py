"""C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 signatures (signature type 0x01).

A note is ``text`` (ending in a newline), a blank line, then signature lines
``— <key name> base64(key ID || signature)``. The text is separated from the signatures by the *last*
blank line, so texts may themselves contain blank lines.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verification.b64 import b64_decode, b64_encode
from verification.ed25519 import (
    PUBLIC_KEY_SIZE,
    private_key_from_seed,
    private_key_seed,
    public_key_bytes,
    sign_ed25519,
    verify_ed25519,
)
from verification.errors import MalformedInput, SignatureInvalid, UnknownKey

__all__ = [
    "MAX_SIGNATURES",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "VerifiedNote",
    "key_id",
    "open_note",
    "sign_note",
    "split_note",
]

ALG_ED25519 = b"\x01"  # C2SP signed-note "Signature types": 0x01 is Ed25519
SIGNATURE_PREFIX = "\u2014 "  # em dash U+2014, then a space
#: The spec says verifiers MUST accept at least 16; golang.org/x/mod/sumdb/note stops at 100.
MAX_SIGNATURES = 100
_HEX8 = re.compile(r"[0-9a-f]{8}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def key_id(name: str, public_key: bytes, signature_type: bytes = ALG_ED25519) -> bytes:
    """key ID = SHA-256(key name || 0x0A || signature type || public key)[:4] (signed-note "Signatures").

    Ed25519 note signatures use type 0x01; tlog-cosignature's timestamped Ed25519 cosignatures 0x04.
    """
    return hashlib.sha256(name.encode("utf-8") + b"\n" + signature_type + public_key).digest()[:4]


def check_key_name(name: str) -> None:
    # Key names MUST be non-empty and MUST NOT contain Unicode spaces or "+" (signed-note "Format").
    if not name or "+" in name or any(ch.isspace() for ch in name) or _CONTROL.search(name):
        raise MalformedInput("BAD_KEY_NAME", f"key name {name!r} is empty or contains a space or '+'")


def check_note_text(text: str) -> None:
    # Notes MUST be valid UTF-8 without ASCII control characters other than newline (signed-note "Format").
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise MalformedInput("INVALID_UTF8", "note contains an unpaired surrogate") from err
    if _CONTROL.search(text):
        raise MalformedInput("CONTROL_CHARACTER", "note has an ASCII control character other than newline")


@dataclass(frozen=True)
class NoteVerifier:
    """A trusted note key: name, 4-byte key ID and 32-byte Ed25519 public key."""

    name: str
    key_id: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public_key) != PUBLIC_KEY_SIZE:
            raise MalformedInput("BAD_KEY_LENGTH", f"Ed25519 public key must be {PUBLIC_KEY_SIZE} bytes")
        if self.key_id != key_id(self.name, self.public_key):
            # For type 0x01 the ID is defined by the spec, so a mismatch means a corrupted key string.
            raise MalformedInput("KEY_ID_MISMATCH", f"key ID does not match key {self.name!r}")

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> NoteVerifier:
        return cls(name, key_id(name, public_key), public_key)

    @classmethod
    def from_string(cls, vkey: str) -> NoteVerifier:
        """Parse ``<name>+<hex8 key ID>+<base64(0x01 || public key)>``."""
        parts = vkey.split("+", 2)  # the base64 part may itself contain '+'
        if len(parts) != 3 or not _HEX8.fullmatch(parts[1]):
            raise MalformedInput("BAD_VERIFIER_KEY", "verifier key is not <name>+<hex8>+<base64>")
        name, hex_id, b64 = parts
        raw = b64_decode(b64, what="verifier key")
        if raw[:1] != ALG_ED25519:
            raise MalformedInput("UNSUPPORTED_KEY_TYPE", "verifier key is not an Ed25519 (0x01) key")
        return cls(name, bytes.fromhex(hex_id), raw[1:])

    def to_string(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{b64_encode(ALG_ED25519 + self.public_key)}"

    def verify(self, message: bytes, signature: bytes) -> None:
        verify_ed25519(self.public_key, signature, message)


@dataclass(frozen=True)
class NoteSigner:
    """A note signing key; ``repr`` never shows the private key."""

    name: str
    private_key: Ed25519PrivateKey = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)

    @classmethod
    def from_private_key(cls, name: str, key: Ed25519PrivateKey) -> NoteSigner:
        return cls(name, key)

    @classmethod
    def from_string(cls, skey: str) -> NoteSigner:
        """Parse ``PRIVATE+KEY+<name>+<hex8 key ID>+<base64(0x01 || seed)>`` (golang.org/x/mod/sumdb/note)."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not _HEX8.fullmatch(parts[3]):
            raise MalformedInput("BAD_SIGNER_KEY", "signer key is not PRIVATE+KEY+<name>+<hex8>+<base64>")
        raw = b64_decode(parts[4], what="signer key")
        if raw[:1] != ALG_ED25519:
            raise MalformedInput("UNSUPPORTED_KEY_TYPE", "signer key is not an Ed25519 (0x01) key")
        signer = cls(parts[2], private_key_from_seed(raw[1:]))
        if signer.key_id != bytes.fromhex(parts[3]):
            raise MalformedInput("KEY_ID_MISMATCH", f"key ID does not match key {signer.name!r}")
        return signer

    def to_string(self) -> str:
        seed = b64_encode(ALG_ED25519 + private_key_seed(self.private_key))
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{seed}"

    @property
    def public_key(self) -> bytes:
        return public_key_bytes(self.private_key)

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def verifier(self) -> NoteVerifier:
        return NoteVerifier.from_public_key(self.name, self.public_key)

    def sign(self, message: bytes) -> bytes:
        return sign_ed25519(self.private_key, message)


@dataclass(frozen=True)
class VerifiedNote:
    """The note text (with its final newline) and the trusted keys whose signatures verified."""

    text: str
    verified_by: tuple[NoteVerifier, ...]


def sign_note(text: str, signers: Iterable[NoteSigner]) -> str:
    """Sign ``text`` with each signer and return the note: text, blank line, one line per signature."""
    if not text.endswith("\n"):
        raise MalformedInput("MISSING_FINAL_NEWLINE", "note text must end with a newline")
    check_note_text(text)
    message = text.encode("utf-8")
    lines = [f"{SIGNATURE_PREFIX}{s.name} {b64_encode(s.key_id + s.sign(message))}\n" for s in signers]
    if not lines:
        raise MalformedInput("NO_SIGNER", "a signed note needs at least one signature")
    return text + "\n" + "".join(lines)


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the key name, the 4-byte key ID and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes

    def to_line(self) -> str:
        return f"{SIGNATURE_PREFIX}{self.name} {b64_encode(self.key_id + self.signature)}\n"


def split_note(note: str | bytes) -> tuple[str, list[NoteSignature]]:
    """The note text (with its final newline) and its signature lines, parsed but not verified.

    Per signed-note "Format": the text is separated from the signatures by the *last* blank line; the
    note must be UTF-8 without control characters other than newline; at most `MAX_SIGNATURES` lines.
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as err:
            raise MalformedInput("INVALID_UTF8", f"note is not UTF-8 at byte {err.start}") from err
    check_note_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedInput("NO_SIGNATURE_BLOCK", "note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedInput("NO_SIGNATURE_BLOCK", "note signatures must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedInput("TOO_MANY_SIGNATURES", f"note has more than {MAX_SIGNATURES} signatures")
    return text, [_parse_signature_line(line) for line in lines]


def open_note(note: str | bytes, verifiers: Sequence[NoteVerifier]) -> VerifiedNote:
    """Verify ``note`` against the trusted ``verifiers`` and return its text.

    Per signed-note "Signatures": lines from unknown (name, key ID) pairs are ignored; a line from a
    known key MUST verify (we reject the whole note otherwise, the spec's SHOULD); and at least one
    known key must have signed, else :class:`UnknownKey`.
    """
    text, signatures = split_note(note)
    known: dict[tuple[str, bytes], list[NoteVerifier]] = {}
    for v in dict.fromkeys(verifiers):  # identical duplicates collapse; distinct ones stay ambiguous
        known.setdefault((v.name, v.key_id), []).append(v)
    message = text.encode("utf-8")
    verified: dict[NoteVerifier, None] = {}
    for line in signatures:
        candidates = known.get((line.name, line.key_id), [])
        if len(candidates) > 1:
            raise UnknownKey("AMBIGUOUS_KEY", f"several trusted keys are named {line.name}+{line.key_id.hex()}")
        if not candidates:
            continue  # unknown keys MUST be ignored: witness cosignatures, rotated keys
        try:
            candidates[0].verify(message, line.signature)
        except (SignatureInvalid, MalformedInput) as err:
            raise SignatureInvalid(
                "BAD_SIGNATURE", f"signature by trusted key {line.name}+{line.key_id.hex()} does not verify"
            ) from err
        verified[candidates[0]] = None
    if not verified:
        raise UnknownKey("NO_TRUSTED_SIGNATURE", "note is not signed by any trusted key")
    return VerifiedNote(text, tuple(verified))


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedInput("BAD_SIGNATURE_LINE", "signature line does not start with em dash and space")
    name, _, b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
    check_key_name(name)
    signature = b64_decode(b64, what="note signature")
    if len(signature) < 5:
        raise MalformedInput("BAD_SIGNATURE_LINE", "note signature is shorter than key ID plus one byte")
    return NoteSignature(name, signature[:4], signature[4:])
