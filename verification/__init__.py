"""Offline trust core of the eco-label registry: everything needed to verify what the registry says.

No network, database or file access happens here: callers hand in bytes and trusted keys, and get back
verified values or a :class:`VerificationError` with a stable ``code``. Each ``verify_*`` function
raises; its ``check_*`` twin returns a :class:`VerificationResult` instead. What reads files or talks to a
registry sits on top of this core, in two subpackages it never imports: :mod:`verification.client` (the
registry's HTTP client, tiles, monitor, mirror, decision audit, files) and :mod:`verification.cli`
(``ecolabel-verify``).

* JSON: strict parsing (:func:`loads_strict`) and RFC 8785 canonical bytes (:func:`dumps_canonical`).
* Signatures: Ed25519 (RFC 8032), JWS compact pinned to Ed25519 (RFC 7515, RFC 8037, RFC 9864).
* Transparency log: RFC 9162 §2.1 Merkle proofs, C2SP signed-note and tlog-checkpoint; witnesses'
  cosignatures (tlog-cosignature) and the policies that require them (tlog-policy); tiles
  (tlog-tiles) and offline proofs (tlog-proof).

Sign a checkpoint for a log and verify it as a client would::

    >>> from verification import (
    ...     EMPTY_ROOT, Checkpoint, NoteSigner, generate_private_key, sign_checkpoint, verify_checkpoint,
    ... )
    >>> signer = NoteSigner.from_private_key("registry.example/log", generate_private_key())
    >>> note = sign_checkpoint(Checkpoint("registry.example/log", 0, EMPTY_ROOT), signer)
    >>> print(note.split("\\n\\n")[0])
    registry.example/log
    0
    47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
    >>> checkpoint = verify_checkpoint(note, signer.verifier(), origin="registry.example/log")
    >>> checkpoint.tree_size, checkpoint.root_hash == EMPTY_ROOT
    (0, True)
"""

from verification.canonical import dumps_canonical
from verification.checkpoint import (
    Checkpoint,
    check_checkpoint,
    parse_checkpoint_text,
    sign_checkpoint,
    verify_checkpoint,
)
from verification.cosignature import Cosigner, CosignerKey, verify_cosignatures
from verification.ed25519 import (
    generate_private_key,
    private_key_from_pem,
    private_key_to_pem,
    public_key_bytes,
    sign_ed25519,
    verify_ed25519,
)
from verification.errors import (
    AlgorithmRefused,
    CheckpointInvalid,
    MalformedInput,
    ProofInvalid,
    SignatureInvalid,
    UnknownKey,
    VerificationError,
)
from verification.jws import (
    PublicKey,
    VerifiedJWS,
    check_compact,
    jwk_thumbprint,
    parse_public_jwk,
    read_protected_header,
    sign_compact,
    verify_compact,
)
from verification.merkle import (
    EMPTY_ROOT,
    check_consistency,
    check_inclusion,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    root_from_subtrees,
    verify_consistency,
    verify_inclusion,
)
from verification.note import NoteSigner, NoteVerifier, VerifiedNote, open_note, sign_note
from verification.policy import Policy, WitnessQuorumNotMet
from verification.result import VerificationResult
from verification.strictjson import loads_strict
from verification.tiles import Tile, TileData, TileHashReader, parse_tile_path
from verification.tlog_proof import TlogProof, verify_tlog_proof

__all__ = [
    "EMPTY_ROOT",
    "AlgorithmRefused",
    "Checkpoint",
    "CheckpointInvalid",
    "Cosigner",
    "CosignerKey",
    "MalformedInput",
    "NoteSigner",
    "NoteVerifier",
    "Policy",
    "ProofInvalid",
    "PublicKey",
    "SignatureInvalid",
    "Tile",
    "TileData",
    "TileHashReader",
    "TlogProof",
    "UnknownKey",
    "VerificationError",
    "VerificationResult",
    "VerifiedJWS",
    "VerifiedNote",
    "WitnessQuorumNotMet",
    "check_checkpoint",
    "check_compact",
    "check_consistency",
    "check_inclusion",
    "consistency_proof",
    "dumps_canonical",
    "generate_private_key",
    "inclusion_proof",
    "jwk_thumbprint",
    "leaf_hash",
    "loads_strict",
    "node_hash",
    "open_note",
    "parse_checkpoint_text",
    "parse_public_jwk",
    "parse_tile_path",
    "private_key_from_pem",
    "private_key_to_pem",
    "public_key_bytes",
    "read_protected_header",
    "root_from_leaf_hashes",
    "root_from_subtrees",
    "sign_checkpoint",
    "sign_compact",
    "sign_ed25519",
    "sign_note",
    "verify_checkpoint",
    "verify_compact",
    "verify_consistency",
    "verify_cosignatures",
    "verify_ed25519",
    "verify_inclusion",
    "verify_tlog_proof",
]
