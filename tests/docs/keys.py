"""Fixed keys for the worked examples of docs/FORMATS.md: derived from public labels, so anyone can
regenerate every example byte for byte (Ed25519 and RFC 8785 are deterministic). Never real keys."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verification.cosignature import Cosigner
from verification.ed25519 import private_key_from_seed
from verification.note import NoteSigner

LOG_ORIGIN = "registry.example.org/log"


def example_key(label: str) -> Ed25519PrivateKey:
    return private_key_from_seed(hashlib.sha256(f"docs/FORMATS.md example key: {label}".encode()).digest())


REGISTRY_KEY = example_key("registry")
REGISTRY = NoteSigner.from_private_key(LOG_ORIGIN, REGISTRY_KEY)
PROGRAMME_KEY = example_key("programme eu-ecolabel")
PROGRAMME_KID = "eu-ecolabel-2026"
ROOT_KEY = example_key("programme eu-ecolabel root")
ROOT_KID = "eu-ecolabel-root"
SECOND_ROOT_KEY = example_key("programme eu-ecolabel second root")
SECOND_ROOT_KID = "eu-ecolabel-root-2"
OTHER_PROGRAMME_KEY = example_key("programme nordic-swan")
OTHER_PROGRAMME_KID = "nordic-swan-2026"
WITNESS_1 = Cosigner("witness.gen.example/w1", example_key("witness 1"))
WITNESS_2 = Cosigner("witness.jas-anz.example/w", example_key("witness 2"))
