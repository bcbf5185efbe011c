"""Status proofs: "as of checkpoint N, certificate C's status chain ends here", checked without the log.

docs/VERIFIABLE-MAP.md §5.2. The registry commits each status-map root as a log leaf of kind
`status_map`, the last leaf of the append transaction that changed the map, whose document is the
RFC 8785 canonical JSON ``{"entries": n, "log_size": M, "root": <hex>, "v": 1}``: the map of the
leaves [0, M), M being that leaf's own index. A status proof carries the checkpoint of size M + 1
(the map leaf is its last leaf), the map leaf's inclusion proof, and the map proof for C::

    result = verify_status_proof(StatusProof.from_json(data), Policy.no_witnesses(registry_key))
    result.head  # None: no such certificate as of result.checkpoint

Checking it costs the checkpoint's signatures, about log2(N) hashes for the log and about log2(n)
for the map: no replay of the log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from verification.b64 import b64_decode, b64_encode
from verification.canonical import dumps_canonical
from verification.checkpoint import Checkpoint
from verification.errors import MalformedInput, ProofInvalid
from verification.leaf import DocumentKind, entry_leaf_hash, format_log_time, parse_log_time
from verification.merkle import verify_inclusion
from verification.note import NoteVerifier
from verification.policy import Policy
from verification.status_map import ChainHeadValue, MapProof, verify_chain_head

__all__ = ["StatusMapRoot", "StatusProof", "StatusProofResult", "verify_status_proof"]

_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_PROOF = 64  # RFC 9162 inclusion proofs of a uint64-sized tree have at most 64 nodes


@dataclass(frozen=True)
class StatusMapRoot:
    """The document of a `status_map` leaf: the map of the log's leaves [0, log_size)."""

    log_size: int
    entries: int
    root: bytes

    def __post_init__(self) -> None:
        for name in ("log_size", "entries"):
            number = getattr(self, name)
            if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number < 2**53:
                raise MalformedInput("BAD_MAP_ROOT", f"{name} must be a non-negative JSON-safe integer")
        if not isinstance(self.root, bytes) or len(self.root) != 32:
            raise MalformedInput("BAD_MAP_ROOT", "the map root is 32 bytes")

    def to_json(self) -> dict[str, int | str]:
        return {"v": 1, "log_size": self.log_size, "entries": self.entries, "root": self.root.hex()}

    def encode(self) -> bytes:
        """The document's bytes, as logged: RFC 8785 canonical JSON."""
        return dumps_canonical(self.to_json())

    @classmethod
    def from_json(cls, data: Any) -> StatusMapRoot:
        if not isinstance(data, Mapping) or set(data) != {"v", "log_size", "entries", "root"} or data["v"] != 1:
            raise MalformedInput("BAD_MAP_ROOT", "a map root document has exactly v (1), log_size, entries and root")
        root = data["root"]
        if not isinstance(root, str) or not _HEX64.fullmatch(root):
            raise MalformedInput("BAD_MAP_ROOT", "the map root is 64 lowercase hex digits")
        return cls(data["log_size"], data["entries"], bytes.fromhex(root))


@dataclass(frozen=True)
class StatusProof:
    """What `GET /v1/certificates/{id}/status-proof` answers (docs/VERIFIABLE-MAP.md §5.2)."""

    certificate_id: bytes
    head: ChainHeadValue | None
    map_proof: MapProof
    map_root: StatusMapRoot
    map_leaf_index: int
    map_integrated_us: int
    inclusion_proof: tuple[bytes, ...]
    checkpoint: str

    def to_json(self) -> dict[str, Any]:
        return {
            "certificate_id": self.certificate_id.hex(),
            "head": None if self.head is None else self.head.to_json(),
            "map_proof": self.map_proof.to_json(),
            "map_root": self.map_root.to_json(),
            "map_leaf": {
                "leaf_index": self.map_leaf_index,
                "integrated_at": format_log_time(self.map_integrated_us),
                "inclusion_proof": [b64_encode(node) for node in self.inclusion_proof],
            },
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def from_json(cls, data: Any) -> StatusProof:
        """Parse strictly: exactly the members above, every hash in its one accepted spelling."""
        members = {"certificate_id", "head", "map_proof", "map_root", "map_leaf", "checkpoint"}
        if not isinstance(data, Mapping) or set(data) != members:
            raise MalformedInput("BAD_STATUS_PROOF", f"a status proof has exactly {sorted(members)}")
        certificate_id, leaf, checkpoint = data["certificate_id"], data["map_leaf"], data["checkpoint"]
        if not isinstance(certificate_id, str) or not _HEX64.fullmatch(certificate_id):
            raise MalformedInput("BAD_STATUS_PROOF", "certificate_id is 64 lowercase hex digits")
        if not isinstance(leaf, Mapping) or set(leaf) != {"leaf_index", "integrated_at", "inclusion_proof"}:
            raise MalformedInput("BAD_STATUS_PROOF", "map_leaf has exactly leaf_index, integrated_at, inclusion_proof")
        index, nodes = leaf["leaf_index"], leaf["inclusion_proof"]
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise MalformedInput("BAD_STATUS_PROOF", "map_leaf.leaf_index is a non-negative integer")
        if not isinstance(nodes, list) or len(nodes) > _MAX_PROOF or not all(isinstance(n, str) for n in nodes):
            raise MalformedInput("BAD_STATUS_PROOF", f"inclusion_proof is at most {_MAX_PROOF} base64 hashes")
        if not isinstance(leaf["integrated_at"], str) or not isinstance(checkpoint, str):
            raise MalformedInput("BAD_STATUS_PROOF", "integrated_at and checkpoint are strings")
        return cls(
            certificate_id=bytes.fromhex(certificate_id),
            head=None if data["head"] is None else ChainHeadValue.from_json(data["head"]),
            map_proof=MapProof.from_json(data["map_proof"]),
            map_root=StatusMapRoot.from_json(data["map_root"]),
            map_leaf_index=index,
            map_integrated_us=parse_log_time(leaf["integrated_at"]),
            inclusion_proof=tuple(b64_decode(node, what="inclusion proof node") for node in nodes),
            checkpoint=checkpoint,
        )


@dataclass(frozen=True)
class StatusProofResult:
    """What a verified status proof establishes: as of `checkpoint`, the certificate's chain head."""

    checkpoint: Checkpoint
    certificate_id: bytes
    head: ChainHeadValue | None
    map_root: StatusMapRoot


def verify_status_proof(
    proof: StatusProof, policy: Policy, *, log_keys: Sequence[NoteVerifier] = ()
) -> StatusProofResult:
    """Raise unless the proof shows the certificate's chain head as of its checkpoint (§5.2 steps 1-4).

    1. the checkpoint is signed by the log (the policy's, or one of `log_keys`) and cosigned as the
       policy requires;
    2. the map root document is the checkpoint's *last* leaf, of kind `status_map` (so nothing was
       logged after the map was computed, in this tree);
    3. the document covers exactly the leaves before it;
    4. the map proof shows `head` (or nothing) under the certificate id in that map.
    """
    checkpoint = policy.verify(proof.checkpoint, log_keys=log_keys).checkpoint
    if checkpoint.tree_size == 0 or proof.map_leaf_index != checkpoint.tree_size - 1:
        raise ProofInvalid("MAP_LEAF_NOT_LAST", "the map root must be the last leaf of the proof's checkpoint")
    leaf = entry_leaf_hash(DocumentKind.STATUS_MAP, proof.map_integrated_us, proof.map_root.encode())
    verify_inclusion(proof.map_leaf_index, checkpoint.tree_size, leaf, proof.inclusion_proof, checkpoint.root_hash)
    if proof.map_root.log_size != proof.map_leaf_index:
        raise ProofInvalid("MAP_SIZE_MISMATCH", "the map root does not cover exactly the leaves before it")
    verify_chain_head(proof.map_root.root, proof.certificate_id, proof.head, proof.map_proof)
    return StatusProofResult(checkpoint, proof.certificate_id, proof.head, proof.map_root)
