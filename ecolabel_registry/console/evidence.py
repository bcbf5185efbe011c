"""The checks behind a certificate, redone here and stated plainly for a person.

`verify.single.verify_certificate` answers what a buyer's API call gets: the signature, the key and an
inclusion proof. A page should not ask a person to check a Merkle proof, so the console checks the
proof and the checkpoint's signature itself, with `verification` (the same code an offline verifier
runs), and shows the outcome as sentences with the figures beside them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from verification.checkpoint import verify_checkpoint
from verification.errors import VerificationError
from verification.merkle import verify_inclusion
from verification.note import NoteVerifier


@dataclass(frozen=True)
class LogCheck:
    leaf_index: int
    tree_size: int
    root_hash: str
    proof_length: int
    verified: bool
    failure: str | None  # the verification error's code, when not verified


def check_inclusion(inclusion: dict[str, Any], verifier: NoteVerifier) -> LogCheck:
    """Verify the checkpoint's signature, then the inclusion proof against its root (RFC 9162 §2.1.3.2)."""
    leaf_index, tree_size = int(inclusion["leaf_index"]), int(inclusion["tree_size"])
    proof = [base64.b64decode(node) for node in inclusion["proof"]]
    root = ""
    try:
        checkpoint = verify_checkpoint(inclusion["checkpoint"], verifier, origin=verifier.name)
        root = base64.b64encode(checkpoint.root_hash).decode()
        leaf = base64.b64decode(inclusion["leaf_hash"])
        verify_inclusion(leaf_index, checkpoint.tree_size, leaf, proof, checkpoint.root_hash)
    except VerificationError as exc:
        return LogCheck(leaf_index, tree_size, root, len(proof), verified=False, failure=exc.code)
    return LogCheck(leaf_index, tree_size, root, len(proof), verified=True, failure=None)
