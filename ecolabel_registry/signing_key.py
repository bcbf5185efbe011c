"""The registry's own Ed25519 key: signs checkpoints, receipts' checkpoints and decisions.

Generated on first start with file mode 0600; a key file readable by group or others is refused,
because anyone who can read it can sign checkpoints in the registry's name.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecolabel_registry.errors import ConfigurationError
from verification.ed25519 import generate_private_key, private_key_from_pem, private_key_to_pem


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """Load the key at `path`, creating it (mode 0600, exclusive create) when it does not exist."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = generate_private_key()
        # O_EXCL: two processes starting together must not both write a key; the loser reads the winner's.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_or_create_signing_key(path)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_key_to_pem(key))
            handle.flush()
            os.fsync(handle.fileno())
        return key
    return load_signing_key(path)


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """Load the key at `path`, which must exist and be readable by its owner only (the webhook worker)."""
    if not path.exists():
        raise ConfigurationError(
            f"signing key {path} does not exist; start `ecolabel-registry serve` once to create it"
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"signing key {path} has mode {mode:o}; it must be readable by its owner only (chmod 600)"
        )
    data = path.read_bytes()
    if not data:
        # A concurrent first start may still be writing it; an empty file is never a valid key.
        raise ConfigurationError(f"signing key {path} is empty")
    return private_key_from_pem(data)
