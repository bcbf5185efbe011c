"""Key events: root keys add, retire and revoke a programme's keys; the operator recovers lost roots.

A key event is signed by a root key (signing keys are refused by `verification.documents`). When the
programme's root threshold is one, it applies at once; otherwise it is logged as a proposal and applies
when enough further roots have logged a `KeyEventApproval` naming it. The rules of a change are
`verification.keys.KeyRing`, which a replay of the log applies in exactly the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection

from ecolabel_registry.approvals import ProposalState
from ecolabel_registry.approvals import repository as proposals
from ecolabel_registry.approvals.repository import ProposalKind
from ecolabel_registry.errors import Conflict, DocumentInvalid, HistoryConflict, NotFound, ValidationFailed
from ecolabel_registry.log import service as log
from ecolabel_registry.programmes import keys, repository
from ecolabel_registry.programmes.schemas import ProgrammeRecoveryRequest
from ecolabel_registry.programmes.signed import open_signed
from ecolabel_registry.rejections import refuse
from verification.canonical import dumps_canonical
from verification.documents import logged_payload
from verification.errors import VerificationError
from verification.jwk import PublicKey
from verification.jws import sign_compact
from verification.keys import KeyChange, KeyRing
from verification.leaf import DocumentKind
from verification.note import NoteSigner
from verification.payloads import TYP, KeyEvent, KeyEventApproval, ProgrammeRecovery
from verification.receipt import Receipt


@dataclass(frozen=True)
class KeyEventOutcome:
    state: ProposalState
    event: KeyEvent
    event_sha256: str
    approved_by: tuple[str, ...]
    approvals_needed: int
    receipt: Receipt


def submit(connection: Connection, signer: NoteSigner, programme_id: str, token: str) -> KeyEventOutcome:
    """Log one key event signed by a root key, in the caller's transaction; apply it if the threshold is met."""
    reservation = log.reserve(connection)
    if not repository.exists(connection, programme_id):
        raise NotFound(f"no programme {programme_id!r}")
    document = open_signed(
        connection, token, KeyEvent, TYP["key_event"], programme_id=programme_id, logged_us=reservation.integrated_us
    )
    if proposals.get(connection, ProposalKind.KEY_EVENT, programme_id, document.sha256) is not None:
        raise Conflict("this key event was already proposed; approve it instead", code="ALREADY_PROPOSED")
    ring = keys.ring(connection, programme_id)
    change = _judge(ring, document.payload, reservation.integrated_us)
    approved = change.approvals([document.key.kid])
    (receipt,) = log.append(connection, signer, [log.Document(DocumentKind.KEY_EVENT, token.encode())], reservation)
    if change.approvals_needed(approved) == 0:
        _store(connection, ring, change, approved, receipt.leaf_index)
        return KeyEventOutcome(ProposalState.APPLIED, document.payload, document.sha256, tuple(approved), 0, receipt)
    row = {
        "sha256": document.sha256,
        "kind": ProposalKind.KEY_EVENT.value,
        "subject": programme_id,
        "sequence": document.payload.sequence,
        "leaf_index": receipt.leaf_index,
        "integrated_us": receipt.integrated_us,
    }
    proposals.insert_proposal(connection, row, document.key.kid)
    needed = change.approvals_needed(approved)
    return KeyEventOutcome(ProposalState.PENDING, document.payload, document.sha256, tuple(approved), needed, receipt)


def approve(
    connection: Connection, signer: NoteSigner, programme_id: str, event_sha256: str, token: str
) -> KeyEventOutcome:
    """Log a further root key's approval of a proposed key event; apply the event once the threshold is met."""
    reservation = log.reserve(connection)
    proposal = proposals.get(connection, ProposalKind.KEY_EVENT, programme_id, event_sha256)
    if proposal is None:
        raise NotFound(f"no proposed key event {event_sha256} of programme {programme_id!r}")
    document = open_signed(
        connection,
        token,
        KeyEventApproval,
        TYP["key_event_approval"],
        programme_id=programme_id,
        logged_us=reservation.integrated_us,
    )
    if document.payload.event != event_sha256:
        raise DocumentInvalid("the approval names another key event", code="WRONG_EVENT")
    if proposal["applied_us"] is not None:
        raise Conflict("this key event was already applied", code="ALREADY_APPLIED")
    event = logged_payload(bytes(proposal["document"]), KeyEvent)
    ring = keys.ring(connection, programme_id)
    if event.sequence <= ring.sequence:
        raise HistoryConflict(
            f"key event {event.sequence} was taken by another event; propose it again as {ring.sequence + 1}",
            code="PROPOSAL_STALE",
        )
    signed = proposals.signers(connection, event_sha256)
    if document.key.kid in signed:
        raise Conflict(f"root key {document.key.kid!r} has already approved this key event", code="ALREADY_APPROVED")
    change = _judge(ring, event, reservation.integrated_us)  # judged again at the time it would apply
    approved = change.approvals([*signed, document.key.kid])
    logged = log.Document(DocumentKind.KEY_EVENT_APPROVAL, token.encode())
    (receipt,) = log.append(connection, signer, [logged], reservation)
    proposals.record_approval(
        connection,
        {
            "proposal_sha256": event_sha256,
            "signer": document.key.kid,
            "sha256": document.sha256,
            "leaf_index": receipt.leaf_index,
            "signed_us": receipt.integrated_us,
        },
    )
    needed = change.approvals_needed(approved)
    if needed == 0:
        _store(connection, ring, change, approved, proposal["leaf_index"])
        proposals.mark_applied(connection, event_sha256, receipt.integrated_us)
        return KeyEventOutcome(ProposalState.APPLIED, event, event_sha256, tuple(approved), 0, receipt)
    return KeyEventOutcome(ProposalState.PENDING, event, event_sha256, tuple(approved), needed, receipt)


def pending(connection: Connection, programme_id: str) -> list[tuple[str, KeyEvent, list[str], int, int, str]]:
    """Open proposals: (sha256, event, approved by, approvals needed, proposed at, document)."""
    if not repository.exists(connection, programme_id):
        raise NotFound(f"no programme {programme_id!r}")
    ring = keys.ring(connection, programme_id)
    rows = proposals.pending(connection, ProposalKind.KEY_EVENT, programme_id, ring.sequence)
    signers = proposals.signers_of(connection, [row["sha256"] for row in rows])
    found = []
    for row in rows:
        token = bytes(row["document"]).decode("ascii")
        event = logged_payload(bytes(row["document"]), KeyEvent)
        counted = [kid for kid in signers[row["sha256"]] if kid in {r.kid for r in ring.active_roots()}]
        needed = max(0, ring.threshold - len(counted))
        found.append((row["sha256"], event, signers[row["sha256"]], needed, row["integrated_us"], token))
    return found


def recover(
    connection: Connection,
    signer: NoteSigner,
    registry_key: Ed25519PrivateKey,
    programme_id: str,
    request: ProgrammeRecoveryRequest,
) -> tuple[str, Receipt]:
    """The operator replaces a programme's roots with a document the registry signs and logs."""
    reservation = log.reserve(connection)
    if not repository.exists(connection, programme_id):
        raise NotFound(f"no programme {programme_id!r}")
    ring = keys.ring(connection, programme_id)
    try:
        recovery = ProgrammeRecovery.model_validate(
            {
                "type": "ProgrammeRecovery",
                "programme": programme_id,
                "sequence": ring.sequence + 1,
                "rootKeys": list(request.root_keys),
                "rootThreshold": request.root_threshold,
                "reason": request.reason,
            }
        )
        after = ring.recover(recovery, reservation.integrated_us)
    except ValueError as exc:
        raise ValidationFailed(str(exc), code="RECOVERY_INVALID") from exc
    except VerificationError as exc:
        raise refuse(exc) from exc
    token = sign_compact(
        dumps_canonical(recovery.model_dump(mode="json", by_alias=True)),
        registry_key,
        PublicKey.from_private_key(registry_key).kid,
        TYP["programme_recovery"],
    )
    logged = log.Document(DocumentKind.PROGRAMME_RECOVERY, token.encode("ascii"))
    (receipt,) = log.append(connection, signer, [logged], reservation)
    keys.store_change(connection, ring, after, action="recover", kid=None, leaf_index=receipt.leaf_index)
    return token, receipt


def _judge(ring: KeyRing, event: KeyEvent, now_us: int) -> KeyChange:
    try:
        return ring.propose(event, now_us)
    except VerificationError as exc:
        raise refuse(exc) from exc


def _store(connection: Connection, ring: KeyRing, change: KeyChange, approved: frozenset[str], leaf: int) -> None:
    target = change.changed.kid if change.changed is not None else None
    after = change.approved_by(approved)
    keys.store_change(connection, ring, after, action=change.event.action.value, kid=target, leaf_index=leaf)
