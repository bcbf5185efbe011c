"""A programme's Ed25519 signing keys as PKCS #8 PEM files that only their owner can read.

    public_jwk = keygen(Path("cel-2026.pem"), "cel-2026")      # file mode 0600, never overwritten
    signer = load_signing_key(Path("cel-2026.pem"), "cel-2026")

A key file that the group or others can read is refused rather than silently used: whoever could read
it can sign certificates in the programme's name, so the operator must notice and fix the mode.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verification.ed25519 import generate_private_key, private_key_from_pem, private_key_to_pem
from verification.errors import VerificationError
from verification.jwk import PublicKey

KEY_FILE_MODE = 0o600
MAX_KEY_FILE_BYTES = 16_384  # an Ed25519 PKCS #8 PEM is about 120 bytes; anything huge is not a key


class KeyFileError(Exception):
    """A key file that cannot be created, is not private to its owner, or does not hold an Ed25519 key."""


@dataclass(frozen=True)
class SigningKey:
    """A private key and the kid that JWS headers name it by; `repr` never shows the key."""

    kid: str
    private_key: Ed25519PrivateKey = field(repr=False)

    @property
    def public(self) -> PublicKey:
        return PublicKey.from_private_key(self.private_key, self.kid)

    def public_jwk(self) -> dict[str, str]:
        return self.public.to_jwk()


def keygen(path: Path, kid: str) -> dict[str, str]:
    """Write a new private key to `path` (mode 0600, refusing to overwrite) and return its public JWK."""
    if not kid:
        raise KeyFileError("a key needs a non-empty kid")
    key = generate_private_key()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        # O_EXCL: an existing key is never replaced (losing a programme key cannot be undone).
        descriptor = os.open(path, flags, KEY_FILE_MODE)
    except FileExistsError as exc:
        raise KeyFileError(f"{path} already exists; refusing to overwrite a key") from exc
    except OSError as exc:
        raise KeyFileError(f"cannot create {path}: {exc.strerror}") from exc
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), KEY_FILE_MODE)  # the umask may have narrowed it; state it exactly
        handle.write(private_key_to_pem(key))
        handle.flush()
        os.fsync(handle.fileno())
    return PublicKey.from_private_key(key, kid).to_jwk()


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read an Ed25519 PKCS #8 PEM key, refusing files that the group or others may read or write."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from exc
    if not stat.S_ISREG(mode):
        raise KeyFileError(f"{path} is not a regular file")
    if mode & 0o077:
        raise KeyFileError(
            f"{path} has mode {stat.S_IMODE(mode):04o}: a private key must be readable by its owner only; "
            f"run `chmod 600 {path}` (and consider the key exposed if others could read it)"
        )
    data = path.read_bytes()
    if len(data) > MAX_KEY_FILE_BYTES:
        raise KeyFileError(f"{path} is too large to be an Ed25519 private key")
    try:
        return private_key_from_pem(data)
    except VerificationError as exc:
        raise KeyFileError(f"{path}: {exc.detail}") from exc


def load_signing_key(path: Path, kid: str) -> SigningKey:
    return SigningKey(kid, load_private_key(path))


def check_registered(signer: SigningKey, key_set: Mapping[str, Any]) -> None:
    """Raise KeyFileError unless the registry's key set (GET …/keys) lists this key, active, under its kid.

    Checked before a bulk run so that a wrong --kid or key file fails once, not once per credential.
    """
    keys = key_set.get("keys")
    listed = (
        [key for key in keys if isinstance(key, Mapping) and key.get("kid") == signer.kid]
        if isinstance(keys, list)
        else []
    )
    if not listed:
        raise KeyFileError(f"the registry lists no key {signer.kid!r} for programme {key_set.get('programme_id')!r}")
    key = listed[0]
    if key.get("x") != signer.public_jwk()["x"]:
        raise KeyFileError(f"the key file does not hold the key the registry knows as {signer.kid!r}")
    if key.get("status") != "active":
        raise KeyFileError(f"key {signer.kid!r} is {key.get('status')} at the registry and can no longer sign")
