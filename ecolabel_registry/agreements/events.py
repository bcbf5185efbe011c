"""Agreement events: a party renews, suspends, reinstates or terminates the agreement.

The chain rules (sequence, previous hash, effective times, allowed changes) are
`verification.agreements.check_next_event`, so an offline verifier applies exactly the same ones.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection

from ecolabel_registry.agreements import lookup, repository
from ecolabel_registry.agreements.schemas import AgreementEventOut
from ecolabel_registry.errors import DocumentInvalid, HistoryConflict, NotAParty, NotFound
from ecolabel_registry.log import service as log
from ecolabel_registry.programmes import keys
from ecolabel_registry.rejections import refuse
from verification.agreements import AgreementEventRecord, Standing, check_next_event, standing_on
from verification.documents import open_document
from verification.errors import VerificationError
from verification.keys import require_key_valid_at
from verification.leaf import DocumentKind, to_microseconds
from verification.note import NoteSigner
from verification.payloads import TYP, AgreementEvent
from verification.receipt import Receipt
from verification.status import ChainHead


def submit(
    connection: Connection, signer: NoteSigner, agreement_id: str, token: str
) -> tuple[AgreementEventOut, Standing, Receipt]:
    reservation = log.reserve(connection)
    row = repository.get(connection, agreement_id)
    if row is None:
        raise NotFound(f"no agreement {agreement_id}")
    record = lookup.record_of(
        row,
        repository.parties_of(connection, [agreement_id])[agreement_id],
        repository.events_of(connection, [agreement_id])[agreement_id],
    )
    try:
        document = open_document(
            token,
            AgreementEvent,
            TYP["agreement_event"],
            lambda p, kid: keys.load(connection, [(p, kid)]).get((p, kid)),
        )
        event = document.payload
        if event.agreement != agreement_id:
            raise DocumentInvalid("the event names another agreement", code="WRONG_AGREEMENT")
        if event.programme_id not in record.agreement.parties:
            raise NotAParty(f"{event.programme_id} is not a party to agreement {agreement_id}", code="NOT_A_PARTY")
        require_key_valid_at(document.key, reservation.integrated_us)
        head = ChainHead(next_sequence=row["event_count"] + 1, previous_sha256=row["last_event_sha256"] or row["id"])
        check_next_event(record, head, event)
    except VerificationError as exc:
        raise refuse(exc) from exc
    (receipt,) = log.append(
        connection, signer, [log.Document(DocumentKind.AGREEMENT_EVENT, token.encode("ascii"))], reservation
    )
    stored = {
        "agreement_id": agreement_id,
        "sequence": event.sequence,
        "change": event.change.value,
        "effective_us": to_microseconds(event.effective_at),
        "effective_until_us": to_microseconds(event.effective_until) if event.effective_until else None,
        "reason": event.reason,
        "issuer_id": event.programme_id,
        "sha256": document.sha256,
        "signing_kid": document.key.kid,
        "leaf_index": receipt.leaf_index,
        "integrated_us": receipt.integrated_us,
    }
    if not repository.append_event(connection, stored, expected_count=row["event_count"]):
        raise HistoryConflict(
            "another event was recorded first; fetch the agreement and retry", code="CONCURRENT_EVENT"
        )
    after = replace(record, events=(*record.events, AgreementEventRecord.of(event, receipt.integrated_us)))
    standing = standing_on(after, at=lookup.now()).standing
    return lookup.event_out({**stored, "document": token.encode("ascii")}), standing, receipt
