"""Key events: a programme adds, retires or revokes its keys with documents signed by a current key."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection

from ecolabel_registry.errors import Conflict, DocumentInvalid, NotFound, RegistryError, WrongProgramme
from ecolabel_registry.log import service as log
from ecolabel_registry.programmes import keys, repository
from ecolabel_registry.rejections import refuse
from verification.documents import open_document
from verification.errors import HistoryInvalid, VerificationError
from verification.jwk import parse_public_jwk
from verification.keys import KeyRecord, KeyStatus, require_key_valid_at
from verification.leaf import DocumentKind, to_microseconds
from verification.note import NoteSigner
from verification.payloads import TYP, KeyAction, KeyEvent
from verification.receipt import Receipt


def submit(connection: Connection, signer: NoteSigner, programme_id: str, token: str) -> tuple[KeyEvent, Receipt]:
    """Apply one signed key event, in the caller's transaction, and log it."""
    reservation = log.reserve(connection)
    if not repository.exists(connection, programme_id):
        raise NotFound(f"no programme {programme_id!r}")
    try:
        document = open_document(
            token, KeyEvent, TYP["key_event"], lambda p, kid: keys.load(connection, [(p, kid)]).get((p, kid))
        )
        if document.payload.programme_id != programme_id:
            raise WrongProgramme(
                f"this key event is issued by {document.payload.programme_id!r}", code="WRONG_PROGRAMME"
            )
        require_key_valid_at(document.key, reservation.integrated_us)
        expected = keys.key_event_count(connection, programme_id) + 1
        if document.payload.sequence != expected:
            code = "EVENT_REPLAYED" if document.payload.sequence < expected else "SEQUENCE_GAP"
            raise HistoryInvalid(code, f"key event sequence {document.payload.sequence}; the next is {expected}")
        changed = _apply(document.payload, keys.of_programme(connection, programme_id), reservation.integrated_us)
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


def _apply(event: KeyEvent, current: list[KeyRecord], now_us: int) -> KeyRecord:
    by_kid = {record.kid: record for record in current}
    if event.action is KeyAction.ADD:
        key = parse_public_jwk(event.key)  # KeyEvent's validator guarantees a key for add
        if key.kid in by_kid:
            raise Conflict(f"key {key.kid!r} already exists for this programme", code="DUPLICATE_KID")
        return KeyRecord(event.programme_id, key.kid, key.raw, added_us=now_us)
    target = by_kid.get(event.kid or "")
    if target is None:
        raise _unknown(event.kid)
    if event.action is KeyAction.RETIRE:
        if target.status is not KeyStatus.ACTIVE:
            raise Conflict(f"key {target.kid!r} is already {target.status}", code="KEY_NOT_ACTIVE")
        if not any(r.status is KeyStatus.ACTIVE and r.kid != target.kid for r in current):
            raise Conflict(
                "retiring the last active key would leave the programme unable to sign", code="LAST_ACTIVE_KEY"
            )
        return replace(target, ended_us=now_us)
    if target.status is KeyStatus.REVOKED:
        raise Conflict(f"key {target.kid!r} is already revoked", code="KEY_ALREADY_REVOKED")
    if event.compromised_since is None:  # unreachable: KeyEvent's validator requires it for revoke
        raise DocumentInvalid("revoke needs compromisedSince", code="PAYLOAD_INVALID")
    compromised_us = to_microseconds(event.compromised_since)
    if compromised_us > now_us:
        raise DocumentInvalid("compromisedSince cannot be in the future", code="COMPROMISE_IN_FUTURE")
    ended = now_us if target.ended_us is None else min(target.ended_us, now_us)
    return replace(target, ended_us=ended, compromised_since_us=compromised_us)


def _unknown(kid: str | None) -> RegistryError:
    return Conflict(f"the programme has no key {kid!r}", code="UNKNOWN_KID")
