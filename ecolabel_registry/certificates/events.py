"""Status events: the certificate's programme suspends, reinstates, withdraws, renews or expires it."""

from __future__ import annotations

from sqlalchemy import Connection

from ecolabel_registry.certificates import repository
from ecolabel_registry.certificates.lookup import event_out, lifecycle_of
from ecolabel_registry.certificates.schemas import EventOut
from ecolabel_registry.clock import now
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.errors import DocumentInvalid, HistoryConflict, NotFound
from ecolabel_registry.log import service as log
from ecolabel_registry.programmes.signed import open_signed
from ecolabel_registry.rejections import refuse
from ecolabel_registry.status_map import service as status_map
from verification.errors import VerificationError
from verification.leaf import DocumentKind, to_microseconds
from verification.payloads import TYP, CertificateStatusEvent
from verification.receipt import Receipt
from verification.status import CertificateStatus, ChainHead, Change, Lifecycle, check_next_event, status_as_of
from verification.status_map import ChainHeadValue


def submit(
    connection: Connection, context: RegistryContext, certificate_id: str, token: str
) -> tuple[EventOut, CertificateStatus, Receipt]:
    """Append a status event in the caller's transaction.

    Watchlists are not touched here: the webhook worker matches the logged event against subscriptions
    after this transaction commits (`ecolabel_registry.webhooks.matching`), so no number of subscribers
    can lengthen the time the log lock is held.
    """
    signer = context.note_signer
    reservation = log.reserve(connection)
    row = repository.get(connection, certificate_id)
    if row is None:
        raise NotFound(f"no certificate {certificate_id}")
    history = repository.events_of(connection, [certificate_id])[certificate_id]
    lifecycle = lifecycle_of(row, history)
    # A programme can never change another programme's certificates: the issuer must be the holder's.
    document = open_signed(
        connection,
        token,
        CertificateStatusEvent,
        TYP["certificate_event"],
        programme_id=row["programme_id"],
        logged_us=reservation.integrated_us,
    )
    event = document.payload
    if event.certificate != certificate_id:
        raise DocumentInvalid("the event names another certificate", code="WRONG_CERTIFICATE")
    try:
        head = ChainHead(next_sequence=row["event_count"] + 1, previous_sha256=row["last_event_sha256"] or row["id"])
        check_next_event(lifecycle, head, event)
    except VerificationError as exc:
        raise refuse(exc) from exc
    logged = [log.Document(DocumentKind.CERTIFICATE_EVENT, token.encode("ascii"))]
    leaf = reservation.head.tree_size
    new_head = ChainHeadValue(row["leaf_index"], event.sequence, document.sha256, leaf)
    logged += status_map.log_documents(connection, [(certificate_id, new_head)], leaf + 1)  # last, when on
    receipt = log.append(connection, signer, logged, reservation)[0]
    after = Lifecycle(lifecycle.valid_from, lifecycle.valid_until, (*lifecycle.changes, Change.of(event)))
    record = {
        "certificate_id": certificate_id,
        "sequence": event.sequence,
        "status": event.status.value,
        "effective_us": to_microseconds(event.effective_at),
        "reason": event.reason,
        "valid_until_us": to_microseconds(event.valid_until) if event.valid_until else None,
        "sha256": document.sha256,
        "signing_kid": document.key.kid,
        "leaf_index": receipt.leaf_index,
        "integrated_us": receipt.integrated_us,
    }
    lifecycle_state = status_as_of(after, at=event.effective_at).status
    if not repository.append_event(connection, record, expected_count=row["event_count"], lifecycle=lifecycle_state):
        raise HistoryConflict("another event was recorded first; fetch the history and retry", code="CONCURRENT_EVENT")
    status_now = status_as_of(after, at=now()).status
    out = event_out(record)
    return out, status_now, receipt
