"""C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature): witnesses' timestamped Ed25519 cosignatures.

A cosignature is one more signed-note signature line on a checkpoint. Its key ID uses signature type
0x04, and its signature is ``timestamp (u64, big-endian) || Ed25519 signature`` over

    cosignature/v1
    time <timestamp>
    <the checkpoint's note text>

so a witness states "as of this time, this is the largest consistent tree I have seen for this log".

    witness = Cosigner.generate("witness.example/w1")
    line = witness.cosign(checkpoint_text, timestamp=1_700_000_000)
    cosigned = verify_cosignatures(note + line.to_line(), [witness.key])   # {witness.key: 1700000000}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verification.b64 import b64_decode, b64_encode
from verification.ed25519 import (
    PUBLIC_KEY_SIZE,
    SIGNATURE_SIZE,
    generate_private_key,
    public_key_bytes,
    sign_ed25519,
    verify_ed25519,
)
from verification.errors import MalformedInput, SignatureInvalid
from verification.note import NoteSignature, NoteSigner, check_key_name, key_id, split_note

__all__ = ["COSIGNATURE_V1", "Cosigner", "CosignerKey", "cosigned_message", "verify_cosignatures"]

COSIGNATURE_V1 = b"\x04"  # signed-note "Signature types": 0x04, timestamped Ed25519 checkpoint cosignatures
MAX_TIMESTAMP = 2**63 - 1  # tlog-cosignature "Format": the timestamp MUST NOT exceed 2^63 - 1
_TIMESTAMP_SIZE = 8
_HEX8 = frozenset("0123456789abcdef")


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The bytes an Ed25519 cosignature signs (tlog-cosignature "Ed25519 signed message")."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise MalformedInput("BAD_TIMESTAMP", f"cosignature timestamp {timestamp} is not in [0, 2^63 - 1]")
    return f"cosignature/v1\ntime {timestamp}\n".encode() + checkpoint_text.encode("utf-8")


@dataclass(frozen=True)
class CosignerKey:
    """A witness's public key as a cosignature/v1 verifier: name, 4-byte key ID (type 0x04), Ed25519 key."""

    name: str
    key_id: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public_key) != PUBLIC_KEY_SIZE:
            raise MalformedInput("BAD_KEY_LENGTH", f"Ed25519 public key must be {PUBLIC_KEY_SIZE} bytes")
        if self.key_id != key_id(self.name, self.public_key, COSIGNATURE_V1):
            raise MalformedInput("KEY_ID_MISMATCH", f"key ID does not match cosigner key {self.name!r}")

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> CosignerKey:
        return cls(name, key_id(name, public_key, COSIGNATURE_V1), public_key)

    @classmethod
    def from_string(cls, vkey: str) -> CosignerKey:
        """Parse a vkey ``<name>+<hex8 key ID>+<base64(0x04 || public key)>`` (tlog-cosignature "Format")."""
        parts = vkey.split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8 or not set(parts[1]) <= _HEX8:
            raise MalformedInput("BAD_VERIFIER_KEY", "cosigner key is not <name>+<hex8>+<base64>")
        raw = b64_decode(parts[2], what="cosigner key")
        if raw[:1] != COSIGNATURE_V1:
            raise MalformedInput("UNSUPPORTED_KEY_TYPE", "cosigner key is not a cosignature/v1 (0x04) key")
        return cls(parts[0], bytes.fromhex(parts[1]), raw[1:])

    def to_string(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{b64_encode(COSIGNATURE_V1 + self.public_key)}"

    def verify(self, checkpoint_text: str, signature: NoteSignature) -> int:
        """Check one signature line made by this key; return its timestamp."""
        body = signature.signature
        if len(body) != _TIMESTAMP_SIZE + SIGNATURE_SIZE:
            raise MalformedInput("BAD_COSIGNATURE", f"a cosignature is {_TIMESTAMP_SIZE + SIGNATURE_SIZE} bytes")
        timestamp = int.from_bytes(body[:_TIMESTAMP_SIZE], "big")
        verify_ed25519(self.public_key, body[_TIMESTAMP_SIZE:], cosigned_message(checkpoint_text, timestamp))
        return timestamp


@dataclass(frozen=True)
class Cosigner:
    """A witness's signing key; ``repr`` never shows it.

    Stored as a standard signed-note signer key (``PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || seed)>``),
    the form golang.org/x/mod/sumdb/note writes; the cosignature key ID (type 0x04) is derived from it.
    """

    name: str
    private_key: Ed25519PrivateKey = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        return cls(name, generate_private_key())

    @classmethod
    def from_string(cls, skey: str) -> Cosigner:
        signer = NoteSigner.from_string(skey.strip())
        return cls(signer.name, signer.private_key)

    def to_string(self) -> str:
        return NoteSigner(self.name, self.private_key).to_string()

    @property
    def key(self) -> CosignerKey:
        return CosignerKey.from_public_key(self.name, public_key_bytes(self.private_key))

    def cosign(self, checkpoint_text: str, timestamp: int) -> NoteSignature:
        """The cosignature line for a checkpoint's note text (which ends with its newline)."""
        if timestamp <= 0:
            # tlog-witness "add-checkpoint": the cosignature MUST NOT omit the timestamp.
            raise MalformedInput("BAD_TIMESTAMP", "a witness cosignature carries a non-zero timestamp")
        signature = sign_ed25519(self.private_key, cosigned_message(checkpoint_text, timestamp))
        return NoteSignature(self.name, self.key.key_id, timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + signature)


def verify_cosignatures(note: str | bytes, keys: Sequence[CosignerKey]) -> dict[CosignerKey, int]:
    """Which of ``keys`` cosigned the note's checkpoint, each with its timestamp.

    Lines from other keys are ignored (signed-note "Signatures"); a line whose name and key ID match
    a key here but whose signature fails makes the whole note refused, as for the log's own signature.
    """
    text, lines = split_note(note)
    by_id = {(key.name, key.key_id): key for key in keys}
    found: dict[CosignerKey, int] = {}
    for line in lines:
        key = by_id.get((line.name, line.key_id))
        if key is None:
            continue
        try:
            found[key] = key.verify(text, line)
        except (SignatureInvalid, MalformedInput) as err:
            raise SignatureInvalid(
                "BAD_COSIGNATURE", f"cosignature by {line.name}+{line.key_id.hex()} does not verify"
            ) from err
    return found
