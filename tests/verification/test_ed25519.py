"""verification.ed25519: sign/verify, length checks and PEM handling."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from verification.ed25519 import (
    generate_private_key,
    private_key_from_pem,
    private_key_from_seed,
    private_key_seed,
    private_key_to_pem,
    public_key_bytes,
    sign_ed25519,
    verify_ed25519,
)
from verification.errors import AlgorithmRefused, MalformedInput, SignatureInvalid


def test_sign_and_verify() -> None:
    key = generate_private_key()
    signature = sign_ed25519(key, b"message")
    verify_ed25519(public_key_bytes(key), signature, b"message")
    with pytest.raises(SignatureInvalid):
        verify_ed25519(public_key_bytes(key), signature, b"messagE")


@pytest.mark.parametrize(
    ("key_len", "sig_len", "code"),
    [
        (31, 64, "BAD_KEY_LENGTH"),
        (33, 64, "BAD_KEY_LENGTH"),
        (32, 63, "BAD_SIGNATURE_LENGTH"),
        (32, 65, "BAD_SIGNATURE_LENGTH"),
    ],
    ids=["short-key", "long-key", "short-signature", "long-signature"],
)
def test_wrong_lengths_are_malformed(key_len: int, sig_len: int, code: str) -> None:
    with pytest.raises(MalformedInput) as caught:
        verify_ed25519(b"\x01" * key_len, b"\x00" * sig_len, b"")
    assert caught.value.code == code


def test_pem_round_trip() -> None:
    key = generate_private_key()
    pem = private_key_to_pem(key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert private_key_seed(private_key_from_pem(pem)) == private_key_seed(key)
    assert private_key_seed(private_key_from_seed(private_key_seed(key))) == private_key_seed(key)


def test_pem_refusals() -> None:
    with pytest.raises(MalformedInput, match="BAD_PEM"):
        private_key_from_pem(b"not a pem")
    encrypted = generate_private_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )
    with pytest.raises(MalformedInput, match="BAD_PEM"):
        private_key_from_pem(encrypted)
    p256 = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(AlgorithmRefused, match="NOT_ED25519"):
        private_key_from_pem(p256)
    with pytest.raises(MalformedInput, match="BAD_KEY_LENGTH"):
        private_key_from_seed(b"\x00" * 31)
