"""The status map: a sparse Merkle tree from certificate id to the head of its status chain.

docs/VERIFIABLE-MAP.md is the design. The tree has the shape of the Jellyfish and celestia sparse
Merkle trees: keys are 256-bit paths (most significant bit first, 0 = left), a subtree holding one
entry is represented by that entry's leaf wherever it sits, an empty subtree by 32 zero bytes:

    MH(∅)          = EMPTY (32 zero bytes)
    MH({(k, v)})   = SHA-256(0x02 || k || SHA-256(v))
    MH(S), |S| ≥ 2 = SHA-256(0x03 || MH(S₀) || MH(S₁))

The prefixes differ from the log's 0x00/0x01 (RFC 9162 §2.1.1), so no map hash reads as a log hash.

This module is the consumer side (hashing, values, proof checking); `status_map_tree` builds trees
and proofs. Check that a proof shows a certificate's chain head::

    >>> from verification.status_map_tree import StatusMapTree
    >>> head = ChainHeadValue(certificate_leaf=1, sequence=0, head_sha256="ab" * 32, head_leaf=1)
    >>> tree = StatusMapTree()
    >>> tree.put(bytes.fromhex("ab" * 32), head.encode())
    >>> verify_value(tree.root, bytes.fromhex("ab" * 32), head.encode(), tree.prove(bytes.fromhex("ab" * 32)))
    >>> verify_absence(tree.root, bytes(32), tree.prove(bytes(32)))
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verification.b64 import b64_decode, b64_encode
from verification.canonical import dumps_canonical
from verification.errors import MalformedInput, ProofInvalid
from verification.result import VerificationResult, capture
from verification.strictjson import loads_strict

__all__ = [
    "EMPTY",
    "KEY_BITS",
    "ChainHeadValue",
    "MapLeaf",
    "MapProof",
    "bit",
    "check_lookup",
    "map_leaf_hash",
    "map_node_hash",
    "verify_absence",
    "verify_chain_head",
    "verify_lookup",
    "verify_value",
]

HASH_SIZE = 32
KEY_BITS = 256
#: MH(∅): a placeholder, not the hash of anything (as in the Jellyfish and celestia trees).
EMPTY = bytes(HASH_SIZE)
_LEAF_PREFIX = b"\x02"
_NODE_PREFIX = b"\x03"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_VALUE_VERSION = 1
_MAX_VALUE_BYTES = 512


def map_leaf_hash(key: bytes, value_sha256: bytes) -> bytes:
    """MH({(key, value)}) = SHA-256(0x02 || key || SHA-256(value)); committing to the whole key is what
    lets a one-entry subtree collapse to its leaf safely: the leaf cannot be moved to another path."""
    return hashlib.sha256(_LEAF_PREFIX + key + value_sha256).digest()


def map_node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x03 || left || right), for a subtree holding two entries or more."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def bit(key: bytes, depth: int) -> int:
    """The key's bit at `depth` (0 = the first byte's most significant bit): 0 goes left, 1 right."""
    return key[depth >> 3] >> (7 - (depth & 7)) & 1


def _shares_prefix(a: bytes, b: bytes, bits: int) -> bool:
    whole, rest = divmod(bits, 8)
    if a[:whole] != b[:whole]:
        return False
    return rest == 0 or (a[whole] ^ b[whole]) >> (8 - rest) == 0


@dataclass(frozen=True)
class MapLeaf:
    """The one entry of the subtree where a key's path ends: its key and the SHA-256 of its value."""

    key: bytes
    value_sha256: bytes

    def __post_init__(self) -> None:
        _require_hash(self.key, "map leaf key")
        _require_hash(self.value_sha256, "map leaf value hash")

    @property
    def hash(self) -> bytes:
        return map_leaf_hash(self.key, self.value_sha256)


@dataclass(frozen=True)
class MapProof:
    """The path from a key's end point up to the root.

    `leaf` is what the path ends at (None: an empty subtree), `siblings` the sibling hashes from the
    deepest level up to the root's children, EMPTY written out as 32 zero bytes.
    """

    leaf: MapLeaf | None
    siblings: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if len(self.siblings) > KEY_BITS:
            raise MalformedInput("PROOF_TOO_LONG", f"a map proof has at most {KEY_BITS} siblings")
        for sibling in self.siblings:
            _require_hash(sibling, "map proof sibling")

    def to_json(self) -> dict[str, Any]:
        leaf = None if self.leaf is None else {"key": self.leaf.key.hex(), "value_sha256": self.leaf.value_sha256.hex()}
        return {"leaf": leaf, "siblings": [b64_encode(s) for s in self.siblings]}

    @classmethod
    def from_json(cls, data: Any) -> MapProof:
        """Parse the JSON form strictly: exactly the two members, lowercase hex, canonical base64."""
        if not isinstance(data, dict) or set(data) != {"leaf", "siblings"}:
            raise MalformedInput("BAD_MAP_PROOF", "a map proof is an object with exactly leaf and siblings")
        siblings = data["siblings"]
        if not isinstance(siblings, list) or not all(isinstance(s, str) for s in siblings):
            raise MalformedInput("BAD_MAP_PROOF", "siblings must be a list of base64 strings")
        if len(siblings) > KEY_BITS:
            raise MalformedInput("PROOF_TOO_LONG", f"a map proof has at most {KEY_BITS} siblings")
        leaf_data = data["leaf"]
        leaf = None
        if leaf_data is not None:
            if not isinstance(leaf_data, dict) or set(leaf_data) != {"key", "value_sha256"}:
                raise MalformedInput("BAD_MAP_PROOF", "a map proof leaf has exactly key and value_sha256")
            leaf = MapLeaf(_hex32(leaf_data["key"], "leaf key"), _hex32(leaf_data["value_sha256"], "value hash"))
        return cls(leaf, tuple(b64_decode(s, what="map proof sibling") for s in siblings))


def verify_lookup(root: bytes, key: bytes, proof: MapProof) -> bytes | None:
    """The SHA-256 of `key`'s value under `root` (None: the key is absent), or raise `ProofInvalid`.

    Folds the proof up along the key's bits. A proof ending at another key's leaf shows absence only
    if that key shares the whole path (it is the one entry of the subtree the queried key would be
    in). Canonical form is required too: above a leaf or an empty end point the deepest sibling is
    never EMPTY, since a parent holding one entry would have collapsed to it. Two proofs that
    disagree about a key under one root would give a SHA-256 collision where their folds meet.
    """
    _require_hash(root, "map root")
    _require_hash(key, "map key")
    depth = len(proof.siblings)
    if proof.leaf is None:
        node = EMPTY
    else:
        node = proof.leaf.hash
        if proof.leaf.key != key and not _shares_prefix(proof.leaf.key, key, depth):
            raise ProofInvalid("LEAF_OFF_PATH", f"the proof's leaf does not share the key's first {depth} bits")
    if depth and proof.siblings[0] == EMPTY:
        raise ProofInvalid("NON_CANONICAL", "the deepest sibling is empty: that subtree would have collapsed")
    for offset, sibling in enumerate(proof.siblings):  # bit 1: we are the right child
        node = map_node_hash(sibling, node) if bit(key, depth - 1 - offset) else map_node_hash(node, sibling)
    if node != root:
        raise ProofInvalid("ROOT_MISMATCH", "the map proof does not lead to the expected map root")
    if proof.leaf is None or proof.leaf.key != key:
        return None
    return proof.leaf.value_sha256


def verify_value(root: bytes, key: bytes, value: bytes, proof: MapProof) -> None:
    """Raise `ProofInvalid` unless `proof` shows exactly `value` under `key` in the map `root`."""
    found = verify_lookup(root, key, proof)
    if found is None:
        raise ProofInvalid("KEY_ABSENT", "the map proof shows the key absent, not holding the value")
    if found != hashlib.sha256(value).digest():
        raise ProofInvalid("VALUE_MISMATCH", "the map holds another value under this key")


def verify_absence(root: bytes, key: bytes, proof: MapProof) -> None:
    """Raise `ProofInvalid` unless `proof` shows that the map `root` holds nothing under `key`."""
    if verify_lookup(root, key, proof) is not None:
        raise ProofInvalid("KEY_PRESENT", "the map proof shows a value under this key")


def check_lookup(root: bytes, key: bytes, proof: MapProof) -> VerificationResult:
    """Non-raising twin of :func:`verify_lookup`."""
    return capture(lambda: verify_lookup(root, key, proof))


@dataclass(frozen=True)
class ChainHeadValue:
    """A map value: where a certificate's status chain ends (docs/VERIFIABLE-MAP.md §3).

    `sequence` 0 means no status event yet: the head is then the credential itself (its id as
    `head_sha256`, its leaf as `head_leaf`), which is also what status event 1 names as `previous`.
    """

    certificate_leaf: int
    sequence: int
    head_sha256: str
    head_leaf: int

    def __post_init__(self) -> None:
        for name in ("certificate_leaf", "sequence", "head_leaf"):
            number = getattr(self, name)
            if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number < 2**53:
                raise MalformedInput("BAD_CHAIN_HEAD", f"{name} must be a non-negative JSON-safe integer")
        if not isinstance(self.head_sha256, str) or not _HEX64.fullmatch(self.head_sha256):
            raise MalformedInput("BAD_CHAIN_HEAD", "head_sha256 must be 64 lowercase hex digits")
        if self.sequence == 0 and self.head_leaf != self.certificate_leaf:
            raise MalformedInput("BAD_CHAIN_HEAD", "with no event, the head is the credential's own leaf")
        if self.sequence > 0 and self.head_leaf <= self.certificate_leaf:
            raise MalformedInput("BAD_CHAIN_HEAD", "a status event is logged after its credential")

    def to_json(self) -> dict[str, int | str]:
        return {
            "v": _VALUE_VERSION,
            "certificate_leaf": self.certificate_leaf,
            "sequence": self.sequence,
            "head_sha256": self.head_sha256,
            "head_leaf": self.head_leaf,
        }

    def encode(self) -> bytes:
        """The value bytes the map hashes: RFC 8785 canonical JSON."""
        return dumps_canonical(self.to_json())

    @classmethod
    def from_json(cls, data: Any) -> ChainHeadValue:
        expected = {"v", "certificate_leaf", "sequence", "head_sha256", "head_leaf"}
        if not isinstance(data, Mapping) or set(data) != expected or data["v"] != _VALUE_VERSION:
            raise MalformedInput("BAD_CHAIN_HEAD", f"a chain head has exactly {sorted(expected)}, with v 1")
        return cls(data["certificate_leaf"], data["sequence"], data["head_sha256"], data["head_leaf"])

    @classmethod
    def decode(cls, value: bytes) -> ChainHeadValue:
        """Parse value bytes, accepting only their canonical form (so one head has one hash)."""
        head = cls.from_json(loads_strict(value, max_bytes=_MAX_VALUE_BYTES))
        if head.encode() != value:
            raise MalformedInput("NOT_CANONICAL", "a chain head must be in RFC 8785 canonical form")
        return head


def verify_chain_head(root: bytes, certificate_id: bytes, head: ChainHeadValue | None, proof: MapProof) -> None:
    """Raise unless the map `root` holds `head` for the certificate (None: holds nothing for it).

    A head without events must name the certificate itself, as status event 1's `previous` does.
    """
    if head is None:
        verify_absence(root, certificate_id, proof)
        return
    if head.sequence == 0 and head.head_sha256 != certificate_id.hex():
        raise ProofInvalid("HEAD_NOT_CERTIFICATE", "a chain head with no event must be the certificate's own id")
    verify_value(root, certificate_id, head.encode(), proof)


def _hex32(value: object, what: str) -> bytes:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise MalformedInput("BAD_HEX", f"{what} must be 64 lowercase hex digits")
    return bytes.fromhex(value)


def _require_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise MalformedInput("BAD_HASH_LENGTH", f"{what} must be {HASH_SIZE} bytes")
