"""W3C Data Integrity eddsa-jcs-2022 worked example (w3c/vc-di-eddsa, see tests/vectors/PROVENANCE.md).

Each step of the cryptosuite (vc-di-eddsa §3.3) is a separate test: transformation (JCS of the
document and of the proof configuration), hashing (SHA-256 of each, proof hash first), and the
Ed25519 signature over the combined hash. Keys and signatures are multibase base58btc; keys carry a
multicodec prefix (0xed01 Ed25519 public key, 0x8026 Ed25519 private key).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from verification.canonical import dumps_canonical
from verification.ed25519 import private_key_from_seed, public_key_bytes, sign_ed25519, verify_ed25519
from verification.strictjson import loads_strict

ROOT = Path(__file__).resolve().parents[1] / "vectors" / "eddsa-jcs-2022"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58btc(multibase: str) -> bytes:
    """Decode a multibase 'z' (base58btc, Bitcoin alphabet) string; leading '1's are zero bytes."""
    assert multibase.startswith("z")
    digits = multibase[1:]
    number = 0
    for char in digits:
        number = number * 58 + _BASE58.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(digits) - len(digits.lstrip("1"))) + body


def _text(name: str) -> str:
    return (ROOT / name).read_text("utf-8")


def _json(name: str) -> Any:
    return loads_strict((ROOT / name).read_bytes())


def _combined_hash() -> bytes:
    proof_hash = hashlib.sha256(dumps_canonical(_json("proofConfigJCS.json"))).digest()
    document_hash = hashlib.sha256(dumps_canonical(_json("unsigned.json"))).digest()
    return proof_hash + document_hash


def _public_key() -> bytes:
    decoded = _base58btc(_json("keyPair.json")["publicKeyMultibase"])
    assert decoded[:2] == b"\xed\x01"  # multicodec ed25519-pub
    return decoded[2:]


def test_canonical_document() -> None:
    assert dumps_canonical(_json("unsigned.json")).decode("utf-8") == _text("canonDocJCS.txt")


def test_proof_config_canonicalization() -> None:
    assert dumps_canonical(_json("proofConfigJCS.json")).decode("utf-8") == _text("proofCanonJCS.txt")


def test_document_hash() -> None:
    assert hashlib.sha256(_text("canonDocJCS.txt").encode()).hexdigest() == _text("docHashJCS.txt")


def test_proof_config_hash() -> None:
    assert hashlib.sha256(_text("proofCanonJCS.txt").encode()).hexdigest() == _text("proofHashJCS.txt")


def test_combined_hash() -> None:
    assert _combined_hash().hex() == _text("combinedHashJCS.txt")


def test_signature_verifies_with_public_key() -> None:
    verify_ed25519(_public_key(), bytes.fromhex(_text("sigHexJCS.txt")), _combined_hash())


def test_signature_reproduced_from_private_key() -> None:
    decoded = _base58btc(_json("keyPair.json")["privateKeyMultibase"])
    assert decoded[:2] == b"\x80\x26"  # multicodec ed25519-priv
    key = private_key_from_seed(decoded[2:])
    assert public_key_bytes(key) == _public_key()
    assert sign_ed25519(key, _combined_hash()).hex() == _text("sigHexJCS.txt")  # RFC 8032 is deterministic


def test_proof_value_is_the_signature() -> None:
    signed = json.loads(_text("signedJCS.json"))
    assert signed["proof"]["proofValue"] == _text("sigBTC58JCS.txt")
    assert _base58btc(_text("sigBTC58JCS.txt")).hex() == _text("sigHexJCS.txt")
