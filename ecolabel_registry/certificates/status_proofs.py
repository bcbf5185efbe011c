"""The status proof the API serves (docs/VERIFIABLE-MAP.md §5.2), assembled and checked against the log.

Everything comes from one read snapshot. Before answering, the registry holds its own tables to what
its log committed: the stored map's root must be the logged `status_map` document, the chain head
from the certificate tables must be the value the map holds, and the whole proof must pass the same
`verify_status_proof` a client runs. A table edited behind the registry's back is an integrity error
(500), never a proof that does not verify.
"""

from __future__ import annotations

from sqlalchemy import Connection

from ecolabel_registry.certificates import repository as certificates
from ecolabel_registry.errors import LogIntegrityError, NotFound
from ecolabel_registry.log import cosignatures
from ecolabel_registry.log import repository as log_repository
from ecolabel_registry.log import service as log
from ecolabel_registry.status_map import repository, service
from verification.errors import VerificationError
from verification.note import NoteVerifier
from verification.policy import Policy
from verification.status_map import ChainHeadValue
from verification.status_proof import StatusMapRoot, StatusProof, verify_status_proof


def status_proof(connection: Connection, certificate_id: str, verifier: NoteVerifier) -> StatusProof:
    state = repository.read_state(connection)
    if not state.enabled:
        raise NotFound("this registry does not keep a status map", code="STATUS_MAP_OFF")
    map_leaf = state.log_size
    logged = log_repository.fetch_entries(connection, map_leaf, map_leaf + 1)
    found = log_repository.first_checkpoint_after(connection, map_leaf)
    if not logged or found is None or found[0] != map_leaf + 1:
        raise LogIntegrityError(f"the status map's leaf {map_leaf} or the checkpoint that ends with it is missing")
    document = service.current_root(connection)
    if logged[0].document != document.encode():
        raise LogIntegrityError(f"the stored status map is not the one logged at leaf {map_leaf}")
    key = bytes.fromhex(certificate_id)
    root, map_proof = service.prove(connection, key)
    head = _head(connection, certificate_id)
    tree_size, note = found
    _, _, inclusion = log.prove_inclusion(connection, map_leaf, tree_size)
    proof = StatusProof(
        certificate_id=key,
        head=head,
        map_proof=map_proof,
        map_root=StatusMapRoot(log_size=document.log_size, entries=document.entries, root=root),
        map_leaf_index=map_leaf,
        map_integrated_us=logged[0].integrated_us,
        inclusion_proof=tuple(inclusion),
        checkpoint=cosignatures.with_cosignatures(connection, tree_size, note).note,
    )
    try:
        verify_status_proof(proof, Policy.no_witnesses(verifier))
    except VerificationError as exc:
        raise LogIntegrityError(f"the status proof of {certificate_id} does not verify: {exc}") from exc
    return proof


def _head(connection: Connection, certificate_id: str) -> ChainHeadValue | None:
    row = certificates.get(connection, certificate_id)
    if row is None:
        return None
    count = row["event_count"]
    if count == 0:
        return ChainHeadValue(row["leaf_index"], 0, certificate_id, row["leaf_index"])
    history = certificates.events_of(connection, [certificate_id])[certificate_id]
    latest = next((event for event in history if event["sequence"] == count), None)
    if latest is None or latest["sha256"] != row["last_event_sha256"]:
        raise LogIntegrityError(f"certificate {certificate_id} counts {count} events but its latest is missing")
    return ChainHeadValue(row["leaf_index"], count, latest["sha256"], latest["leaf_index"])
