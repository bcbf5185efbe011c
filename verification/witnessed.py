"""Bring a checkpoint under a witness policy after the fact, by consistency with a witnessed one.

A receipt or a decision carries the checkpoint the registry signed when it answered, before any
witness could see it. It is covered by the witnesses once a later checkpoint they cosigned is proven
to extend it (RFC 9162 §2.1.4): then the tree the receipt names is in the history the witnesses
vouch for, and a view shown to this verifier alone would have failed that proof.

    checkpoint = verify_witnessed(receipt.checkpoint, policy, log_key,
                                  witnessed_note=registry.witnessed_checkpoint(),
                                  proof=registry.consistency_proof(size, witnessed_size))
"""

from __future__ import annotations

from collections.abc import Sequence

from verification.checkpoint import Checkpoint, verify_checkpoint
from verification.errors import VerificationError
from verification.merkle import verify_consistency
from verification.note import NoteVerifier
from verification.policy import Policy, WitnessedCheckpoint, WitnessQuorumNotMet

__all__ = ["covering_checkpoint", "verify_witnessed"]


def covering_checkpoint(note: str, policy: Policy, log_key: NoteVerifier) -> WitnessedCheckpoint | None:
    """The note itself as a witnessed checkpoint if its own cosignatures meet the policy, else None."""
    try:
        return policy.verify(note, log_keys=[log_key], origin=log_key.name)
    except WitnessQuorumNotMet:
        return None


def verify_witnessed(
    note: str,
    policy: Policy,
    log_key: NoteVerifier,
    *,
    witnessed_note: str | None = None,
    proof: Sequence[bytes] = (),
) -> tuple[Checkpoint, WitnessedCheckpoint]:
    """The checkpoint `note` carries, and the witnessed checkpoint that covers it; raise otherwise."""
    checkpoint = verify_checkpoint(note, log_key, origin=log_key.name)
    own = covering_checkpoint(note, policy, log_key)
    if own is not None:
        return checkpoint, own
    if witnessed_note is None:
        # Not covered and nothing to extend it with: the policy's own refusal names who did cosign it.
        return checkpoint, policy.verify(note, log_keys=[log_key], origin=log_key.name)
    witnessed = policy.verify(witnessed_note, log_keys=[log_key], origin=log_key.name)
    if witnessed.checkpoint.tree_size < checkpoint.tree_size:
        raise WitnessQuorumNotMet(
            "NOT_YET_WITNESSED",
            f"the witnesses have cosigned size {witnessed.checkpoint.tree_size}, older than this checkpoint's "
            f"{checkpoint.tree_size}; the registry's worker submits new checkpoints within seconds: retry",
        )
    try:
        verify_consistency(
            checkpoint.tree_size,
            witnessed.checkpoint.tree_size,
            proof,
            checkpoint.root_hash,
            witnessed.checkpoint.root_hash,
        )
    except VerificationError as exc:
        raise WitnessQuorumNotMet(
            "NOT_IN_WITNESSED_HISTORY",
            f"the tree of size {checkpoint.tree_size} is not part of the witnessed tree of size "
            f"{witnessed.checkpoint.tree_size}: the registry showed this checkpoint to you alone ({exc.code})",
        ) from exc
    return checkpoint, witnessed
