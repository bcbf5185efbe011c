"""Key events: a programme adds, retires or revokes its keys with documents signed by a current key."""

from __future__ import annotations

from sqlalchemy import Connection

from ecolabel_registry.errors import NotFound
from ecolabel_registry.log import service as log
from ecolabel_registry.programmes import keys, repository
from ecolabel_registry.programmes.signed import open_signed
from ecolabel_registry.rejections import refuse
from verification.errors import HistoryInvalid, VerificationError
from verification.keys import apply_key_event
from verification.leaf import DocumentKind
from verification.note import NoteSigner
from verification.payloads import TYP, KeyAction, KeyEvent
from verification.receipt import Receipt


def submit(connection: Connection, signer: NoteSigner, programme_id: str, token: str) -> tuple[KeyEvent, Receipt]:
    """Apply one signed key event, in the caller's transaction, and log it."""
    reservation = log.reserve(connection)
    if not repository.exists(connection, programme_id):
        raise NotFound(f"no programme {programme_id!r}")
    document = open_signed(
        connection, token, KeyEvent, TYP["key_event"], programme_id=programme_id, logged_us=reservation.integrated_us
    )
    try:
        expected = keys.key_event_count(connection, programme_id) + 1
        if document.payload.sequence != expected:
            code = "EVENT_REPLAYED" if document.payload.sequence < expected else "SEQUENCE_GAP"
            raise HistoryInvalid(code, f"key event sequence {document.payload.sequence}; the next is {expected}")
        changed = apply_key_event(
            document.payload, keys.of_programme(connection, programme_id), reservation.integrated_us
        )
    except VerificationError as exc:
        raise refuse(exc) from exc
    (receipt,) = log.append(connection, signer, [log.Document(DocumentKind.KEY_EVENT, token.encode())], reservation)
    if document.payload.action is KeyAction.ADD:
        keys.add_key(connection, changed, receipt.leaf_index)
    else:
        keys.end_key(connection, changed)
    keys.record_event(
        connection,
        programme_id,
        sequence=document.payload.sequence,
        action=document.payload.action.value,
        kid=changed.kid,
        leaf=receipt.leaf_index,
    )
    return document.payload, receipt
