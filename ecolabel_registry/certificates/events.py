"""Status events: the certificate's programme suspends, reinstates, withdraws, renews or expires it.

One event or several go through the same rules: `submit_many` judges each event in order under one log
lock (an event may follow another of the same group on the same certificate), logs every accepted one in
one append with one checkpoint, and reports each refused one without touching the others. `submit` is
`submit_many` for one event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from ecolabel_registry.certificates import repository
from ecolabel_registry.certificates.lookup import event_out, lifecycle_of
from ecolabel_registry.certificates.schemas import EventOut
from ecolabel_registry.clock import now
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.errors import DocumentInvalid, HistoryConflict, NotFound, RegistryError
from ecolabel_registry.log import service as log
from ecolabel_registry.programmes.signed import open_signed
from ecolabel_registry.rejections import refuse
from ecolabel_registry.status_map import service as status_map
from verification.documents import SignedDocument
from verification.errors import VerificationError
from verification.leaf import DocumentKind, to_microseconds
from verification.payloads import TYP, CertificateStatusEvent
from verification.receipt import Receipt
from verification.status import CertificateStatus, ChainHead, Change, Lifecycle, check_next_event, status_as_of
from verification.status_map import ChainHeadValue

Submitted = tuple[EventOut, CertificateStatus, Receipt]


def submit(connection: Connection, context: RegistryContext, certificate_id: str, token: str) -> Submitted:
    """Append a status event in the caller's transaction.

    Watchlists are not touched here: the webhook worker matches the logged event against subscriptions
    after this transaction commits (`ecolabel_registry.webhooks.matching`), so no number of subscribers
    can lengthen the time the log lock is held.
    """
    (outcome,) = submit_many(connection, context, [(certificate_id, token)])
    if isinstance(outcome, RegistryError):
        raise outcome
    return outcome


@dataclass
class _Chain:
    """A certificate's status chain as this transaction leaves it so far."""

    programme_id: str
    certificate_leaf: int
    event_count: int
    previous_sha256: str
    lifecycle: Lifecycle


@dataclass
class _Staged:
    certificate_id: str
    token: str
    document: SignedDocument[CertificateStatusEvent]
    expected_count: int
    after: Lifecycle
    head: ChainHeadValue


def submit_many(
    connection: Connection, context: RegistryContext, requests: Sequence[tuple[str, str]]
) -> list[Submitted | RegistryError]:
    """Judge `(certificate id, event JWS)` pairs in order and log the accepted ones in one append.

    Each answer is the event's result, or the registry error that refused it (nothing of it written).
    """
    reservation = log.reserve(connection)
    first = reservation.head.tree_size
    chains: dict[str, _Chain] = {}
    staged: list[_Staged] = []
    outcomes: list[_Staged | RegistryError] = []
    for certificate_id, token in requests:
        try:
            chain = chains.get(certificate_id) or _load_chain(connection, certificate_id)
            chains[certificate_id] = chain
            item = _judge(
                connection, chain, certificate_id, token, logged_us=reservation.integrated_us, leaf=first + len(staged)
            )
        except RegistryError as exc:
            outcomes.append(exc)
            continue
        chain.event_count += 1
        chain.previous_sha256 = item.document.sha256
        chain.lifecycle = item.after
        staged.append(item)
        outcomes.append(item)
    answers = iter(_log(connection, context, staged, reservation))  # one per staged event, in order
    return [outcome if isinstance(outcome, RegistryError) else next(answers) for outcome in outcomes]


def _load_chain(connection: Connection, certificate_id: str) -> _Chain:
    row = repository.get(connection, certificate_id)
    if row is None:
        raise NotFound(f"no certificate {certificate_id}")
    history = repository.events_of(connection, [certificate_id])[certificate_id]
    return _Chain(
        programme_id=row["programme_id"],
        certificate_leaf=row["leaf_index"],
        event_count=row["event_count"],
        previous_sha256=row["last_event_sha256"] or row["id"],
        lifecycle=lifecycle_of(row, history),
    )


def _judge(
    connection: Connection, chain: _Chain, certificate_id: str, token: str, *, logged_us: int, leaf: int
) -> _Staged:
    # A programme can never change another programme's certificates: the issuer must be the holder's.
    document = open_signed(
        connection,
        token,
        CertificateStatusEvent,
        TYP["certificate_event"],
        programme_id=chain.programme_id,
        logged_us=logged_us,
    )
    event = document.payload
    if event.certificate != certificate_id:
        raise DocumentInvalid("the event names another certificate", code="WRONG_CERTIFICATE")
    try:
        check_next_event(chain.lifecycle, ChainHead(chain.event_count + 1, chain.previous_sha256), event)
    except VerificationError as exc:
        raise refuse(exc) from exc
    lifecycle = chain.lifecycle
    after = Lifecycle(lifecycle.valid_from, lifecycle.valid_until, (*lifecycle.changes, Change.of(event)))
    head = ChainHeadValue(chain.certificate_leaf, event.sequence, document.sha256, leaf)
    return _Staged(certificate_id, token, document, chain.event_count, after, head)


def _log(
    connection: Connection, context: RegistryContext, staged: list[_Staged], reservation: log.Reservation
) -> list[Submitted]:
    """Append the accepted events (and, when on, the status map's root last), then record them."""
    if not staged:
        return []
    logged = [log.Document(DocumentKind.CERTIFICATE_EVENT, item.token.encode("ascii")) for item in staged]
    heads = [(item.certificate_id, item.head) for item in staged]
    logged += status_map.log_documents(connection, heads, reservation.head.tree_size + len(staged))
    receipts = log.append(connection, context.note_signer, logged, reservation)[: len(staged)]
    answers: list[Submitted] = []
    for item, receipt in zip(staged, receipts, strict=True):
        event = item.document.payload
        record = {
            "certificate_id": item.certificate_id,
            "sequence": event.sequence,
            "status": event.status.value,
            "effective_us": to_microseconds(event.effective_at),
            "reason": event.reason,
            "valid_until_us": to_microseconds(event.valid_until) if event.valid_until else None,
            "sha256": item.document.sha256,
            "signing_kid": item.document.key.kid,
            "leaf_index": receipt.leaf_index,
            "integrated_us": receipt.integrated_us,
        }
        lifecycle_state = status_as_of(item.after, at=event.effective_at).status
        if not repository.append_event(
            connection, record, expected_count=item.expected_count, lifecycle=lifecycle_state
        ):
            raise HistoryConflict(
                "another event was recorded first; fetch the history and retry", code="CONCURRENT_EVENT"
            )
        answers.append((event_out(record), status_as_of(item.after, at=now()).status, receipt))
    return answers
