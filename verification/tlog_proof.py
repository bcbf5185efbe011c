"""C2SP tlog-proof (https://c2sp.org/tlog-proof): a receipt as one self-contained, offline-checkable text.

    c2sp.org/tlog-proof@v1
    extra <base64 of the leaf input>
    index 4
    <inclusion proof, one base64 hash per line>

    <the checkpoint, with its witnesses' cosignatures>

The `extra` line carries the leaf input (the RFC 8785 JSON of ``{"v":1,"kind",...,"document_sha256"}``,
docs/FORMATS.md), which is what this log hashes: a generic tlog-proof verifier checks the inclusion of
SHA-256(0x00 || extra); ours also checks that the leaf input commits to the document in hand, since the
extra data is not trusted on its own (tlog-proof "Format").

    proof = TlogProof.parse(Path("licence.tlog-proof").read_text())
    checkpoint = verify_tlog_proof(proof, document, policy)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from verification.b64 import b64_decode, b64_encode
from verification.checkpoint import Checkpoint
from verification.errors import MalformedInput, ProofInvalid
from verification.leaf import LeafInput, parse_leaf_input
from verification.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from verification.policy import Policy
from verification.receipt import Receipt

__all__ = ["HEADER", "TlogProof", "verify_tlog_proof"]

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_LINES = 63  # an inclusion proof in a tree of at most 2^63 leaves
_INDEX = re.compile(r"index (0|[1-9][0-9]*)")


@dataclass(frozen=True)
class TlogProof:
    leaf_index: int
    inclusion_proof: tuple[bytes, ...]
    checkpoint: str  # the signed note, verbatim
    extra: bytes | None = None

    def to_text(self) -> str:
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {b64_encode(self.extra)}")
        lines.append(f"index {self.leaf_index}")
        lines += [b64_encode(node) for node in self.inclusion_proof]
        return "\n".join(lines) + "\n\n" + self.checkpoint

    @classmethod
    def parse(cls, text: str) -> TlogProof:
        """Parse strictly: the header, an optional extra line, the index, proof lines, a blank line, a note."""
        head, separator, checkpoint = text.partition("\n\n")
        if not separator or not checkpoint:
            raise MalformedInput("BAD_TLOG_PROOF", "a tlog-proof has a blank line, then the checkpoint")
        lines = head.split("\n")
        if lines[0] != HEADER:
            raise MalformedInput("BAD_TLOG_PROOF", f"a tlog-proof starts with {HEADER!r}")
        position = 1
        extra = None
        if position < len(lines) and lines[position].startswith("extra "):
            extra = b64_decode(lines[position][len("extra ") :], what="tlog-proof extra data")
            position += 1
        matched = _INDEX.fullmatch(lines[position]) if position < len(lines) else None
        if matched is None or int(matched[1]) >= 2**63:
            raise MalformedInput("BAD_TLOG_PROOF", "a tlog-proof names its index as 'index <decimal>'")
        nodes = tuple(b64_decode(line, what="inclusion proof hash") for line in lines[position + 1 :])
        if len(nodes) > MAX_PROOF_LINES or any(len(node) != HASH_SIZE for node in nodes):
            raise MalformedInput("BAD_TLOG_PROOF", "inclusion proof lines are at most 63 SHA-256 hashes")
        return cls(int(matched[1]), nodes, checkpoint, extra)

    @classmethod
    def from_receipt(cls, receipt: Receipt, document_sha256: bytes) -> TlogProof:
        """The same evidence as a JSON receipt, with the leaf input as extra data."""
        leaf = LeafInput(receipt.kind, receipt.integrated_us, document_sha256)
        return cls(receipt.leaf_index, receipt.inclusion_proof, receipt.checkpoint, leaf.encode())

    def leaf(self) -> LeafInput:
        if self.extra is None:
            raise MalformedInput("BAD_TLOG_PROOF", "this proof carries no leaf input in its extra line")
        return parse_leaf_input(self.extra)


def verify_tlog_proof(proof: TlogProof, document: bytes, policy: Policy) -> tuple[Checkpoint, LeafInput]:
    """tlog-proof "Verifying a tlog proof", in its order: leaf hash, log signature, cosignatures, inclusion."""
    leaf = proof.leaf()
    if hashlib.sha256(document).digest() != leaf.document_sha256:
        raise ProofInvalid("LEAF_MISMATCH", "the document bytes are not the ones the proof's leaf input commits to")
    witnessed = policy.verify(proof.checkpoint)
    checkpoint = witnessed.checkpoint
    if proof.leaf_index >= checkpoint.tree_size:
        raise ProofInvalid("INDEX_BEYOND_TREE", "the leaf index is not inside the proof's checkpoint")
    verify_inclusion(
        proof.leaf_index, checkpoint.tree_size, leaf_hash(leaf.encode()), proof.inclusion_proof, checkpoint.root_hash
    )
    return checkpoint, leaf
