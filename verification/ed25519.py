"""Ed25519 (RFC 8032) through ``cryptography``: the only signature algorithm this project accepts.

``verify_ed25519`` is strict RFC 8032 §5.1.7 verification as OpenSSL implements it (canonical S < L,
canonical point encodings), which the Wycheproof vectors in ``tests/vectors/wycheproof`` pin down.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from verification.errors import AlgorithmRefused, MalformedInput, SignatureInvalid

__all__ = [
    "PUBLIC_KEY_SIZE",
    "SEED_SIZE",
    "SIGNATURE_SIZE",
    "generate_private_key",
    "private_key_from_pem",
    "private_key_from_seed",
    "private_key_seed",
    "private_key_to_pem",
    "public_key_bytes",
    "sign_ed25519",
    "verify_ed25519",
]

PUBLIC_KEY_SIZE = 32  # RFC 8032 §5.1.5
SEED_SIZE = 32  # RFC 8032 §5.1.5, the 32-byte private key
SIGNATURE_SIZE = 64  # RFC 8032 §5.1.6, R || S


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_key_bytes(private_key: Ed25519PrivateKey) -> bytes:
    """The 32-byte RFC 8032 encoding of the public half."""
    return private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def private_key_seed(private_key: Ed25519PrivateKey) -> bytes:
    """The 32-byte RFC 8032 private key (the seed), as C2SP signed-note signer strings carry it."""
    return private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def private_key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    if len(seed) != SEED_SIZE:
        raise MalformedInput("BAD_KEY_LENGTH", f"Ed25519 private key must be {SEED_SIZE} bytes, got {len(seed)}")
    return Ed25519PrivateKey.from_private_bytes(seed)


def sign_ed25519(private_key: Ed25519PrivateKey, message: bytes) -> bytes:
    """Deterministic RFC 8032 §5.1.6 signature: the same key and message always give the same bytes."""
    return private_key.sign(message)


def verify_ed25519(public_key: bytes, signature: bytes, message: bytes) -> None:
    """Raise unless ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``.

    Wrong lengths raise :class:`MalformedInput` (``BAD_KEY_LENGTH`` / ``BAD_SIGNATURE_LENGTH``) so a
    truncated or padded signature is reported as a format problem; everything else that fails
    RFC 8032 §5.1.7 raises :class:`SignatureInvalid`.
    """
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise MalformedInput(
            "BAD_KEY_LENGTH", f"Ed25519 public key must be {PUBLIC_KEY_SIZE} bytes, got {len(public_key)}"
        )
    if len(signature) != SIGNATURE_SIZE:
        raise MalformedInput(
            "BAD_SIGNATURE_LENGTH", f"Ed25519 signature must be {SIGNATURE_SIZE} bytes, got {len(signature)}"
        )
    try:
        key = Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError as err:
        raise MalformedInput("INVALID_PUBLIC_KEY", "bytes are not an Ed25519 public key") from err
    try:
        key.verify(signature, message)
    except InvalidSignature as err:
        raise SignatureInvalid("BAD_SIGNATURE", "Ed25519 signature does not verify") from err


def private_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    """Unencrypted PKCS #8 PEM (RFC 5958, RFC 8410 §7); protect the file, not the encoding."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def private_key_from_pem(data: bytes) -> Ed25519PrivateKey:
    """Load an unencrypted PKCS #8 PEM Ed25519 private key; any other key type is refused."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as err:
        # ValueError: not PEM / bad structure; TypeError: encrypted; UnsupportedAlgorithm: unknown key.
        raise MalformedInput("BAD_PEM", f"not an unencrypted PKCS #8 private key: {err}") from err
    if not isinstance(key, Ed25519PrivateKey):
        raise AlgorithmRefused("NOT_ED25519", f"PEM holds a {type(key).__name__}, not an Ed25519 key")
    return key
