"""Worked examples of the status map (FORMATS §1.10): the example log of §1 continued by the
certificate's status event (leaf 3) and the `status_map` leaf its transaction ends with (leaf 4)."""

from __future__ import annotations

import hashlib
import json

from tests.docs import examples_documents as documents
from tests.docs import examples_log
from tests.docs.keys import LOG_ORIGIN, REGISTRY
from verification.checkpoint import Checkpoint, sign_checkpoint
from verification.leaf import DocumentKind, LeafInput, parse_log_time
from verification.merkle import inclusion_proof, root_from_leaf_hashes
from verification.status_map import ChainHeadValue
from verification.status_map_tree import StatusMapTree
from verification.status_proof import StatusMapRoot, StatusProof

EVENT_AT = "2026-09-01T08:00:00.000000Z"


def head() -> ChainHeadValue:
    """The certificate (leaf 1) after its first status event (leaf 3)."""
    return ChainHeadValue(1, 1, hashlib.sha256(documents.status_event().encode("ascii")).hexdigest(), 3)


def certificate_id() -> bytes:
    return hashlib.sha256(documents.certificate().encode("ascii")).digest()


def tree() -> StatusMapTree:
    built = StatusMapTree()
    built.put(certificate_id(), head().encode())
    return built


def map_root() -> StatusMapRoot:
    return StatusMapRoot(log_size=4, entries=1, root=tree().root)


def leaves() -> list[LeafInput]:
    event = documents.status_event().encode("ascii")
    logged = [leaf for leaf, _ in examples_log.leaves()]
    at = parse_log_time(EVENT_AT)
    logged.append(LeafInput(DocumentKind.CERTIFICATE_EVENT, at, hashlib.sha256(event).digest()))
    logged.append(LeafInput(DocumentKind.STATUS_MAP, at, hashlib.sha256(map_root().encode()).digest()))
    return logged


def status_proof() -> StatusProof:
    hashes = [leaf.leaf_hash for leaf in leaves()]
    note = sign_checkpoint(Checkpoint(LOG_ORIGIN, len(hashes), root_from_leaf_hashes(hashes)), REGISTRY)
    path = inclusion_proof(4, 5, lambda a, b: root_from_leaf_hashes(hashes[a:b]))
    return StatusProof(
        certificate_id=certificate_id(),
        head=head(),
        map_proof=tree().prove(certificate_id()),
        map_root=map_root(),
        map_leaf_index=4,
        map_integrated_us=parse_log_time(EVENT_AT),
        inclusion_proof=tuple(path),
        checkpoint=note,
    )


def unknown_id() -> bytes:
    return hashlib.sha256(b"a credential this registry never logged").digest()


def examples() -> dict[str, str]:
    return {
        "status-map-value": head().encode().decode() + "\n",
        "status-map-leaf-hash": tree().root.hex() + "\n",
        "status-map-root": map_root().encode().decode() + "\n",
        "status-map-leaf-input": leaves()[4].encode().decode() + "\n",
        "status-proof": json.dumps(status_proof().to_json(), indent=2) + "\n",
        "status-map-absence": json.dumps(tree().prove(unknown_id()).to_json(), indent=2) + "\n",
    }
