"""Submitting credentials, one or a thousand at a time, all-or-nothing per item.

Two phases. `prepare` verifies signatures and profiles on a read connection, outside the log lock,
because that is where the CPU time goes. `commit` runs in the write transaction after the log head is
locked: it re-checks what depends on the registry's state (key still valid at this log time, category
defined, licence not taken, duplicate), then logs and stores every accepted item in one append. A bad
item is reported and never blocks the others; an accepted item has all its rows and its leaf.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection

from ecolabel_registry.categories import repository as categories
from ecolabel_registry.certificates import repository
from ecolabel_registry.certificates.observed import Observed, State
from ecolabel_registry.certificates.schemas import Outcome
from ecolabel_registry.db.bulk import pipelined
from ecolabel_registry.errors import Conflict, RegistryError, UnknownCategory
from ecolabel_registry.log import service as log
from ecolabel_registry.programmes import keys
from ecolabel_registry.programmes import repository as programmes
from ecolabel_registry.rejections import refuse
from ecolabel_registry.status_lists import repository as status_slots
from ecolabel_registry.status_map import service as status_map
from verification.did import DidWeb
from verification.documents import SignedDocument, open_document
from verification.errors import MalformedInput, UnknownKey, VerificationError
from verification.keys import KeyRecord, require_key_valid_at
from verification.leaf import DocumentKind, to_microseconds
from verification.note import NoteSigner
from verification.payloads import TYP, EcoLabelCertificate
from verification.receipt import Receipt
from verification.standing import remember_verified
from verification.status_list import Slot, status_entries
from verification.status_map import ChainHeadValue

Credential = SignedDocument[EcoLabelCertificate]
# Charges the first item of each credential new to the registry to its programme's rate limit, under the
# log lock (`commit`); returns the refusal of each one over its limit, by certificate id.
Charge = Callable[[Sequence["Item"]], dict[str, RegistryError]]


@dataclass
class Item:
    index: int
    token: str
    document: Credential | None = None
    outcome: Outcome | None = None
    error: RegistryError | None = None
    receipt: Receipt | None = None
    slots: list[Slot] = field(default_factory=list)
    # Of an accepted item, after the commit: the rows stored and the signing key's record they were
    # judged with under the log lock, from which its answer is built (`lookup.accepted`).
    stored: repository.NewCertificate | None = None
    signing_key: KeyRecord | None = None

    @property
    def certificate_id(self) -> str | None:
        return self.document.sha256 if self.document else None


@dataclass
class Prepared:
    items: list[Item] = field(default_factory=list)
    # The state its checks read before the log lock (`observed.observe`), used under it if still valid.
    observed: Observed | None = None


def prepare(connection: Connection, tokens: Sequence[str], *, names: DidWeb | None = None) -> Prepared:
    """Verify every credential's signature and profile (no lock held); `names`: this registry's DIDs."""
    lookup = _BatchKeys(connection)
    prepared = Prepared()
    for index, token in enumerate(tokens):
        item = Item(index=index, token=token)
        try:
            item.document = open_document(token, EcoLabelCertificate, TYP["certificate"], lookup, names=names)
        except VerificationError as exc:
            item.outcome, item.error = Outcome.REJECTED, refuse(exc)
        prepared.items.append(item)
    return prepared


def new_to_the_registry(connection: Connection, prepared: Prepared) -> list[str]:
    """The programme of each distinct verified credential the registry does not hold yet.

    What a programme's submission budget is charged for (`ecolabel_registry.api.ratelimit`): only the
    programme can sign these, while forged ones fail `prepare` and replayed ones are already held.
    """
    return [item.document.payload.programme_id for item in not_held(connection, prepared) if item.document]


def not_held(connection: Connection, prepared: Prepared) -> list[Item]:
    """The first item of each distinct verified credential the registry does not hold yet (one read)."""
    ids = {item.document.sha256 for item in prepared.items if item.document is not None}
    return _new(prepared.items, repository.existing_ids(connection, ids))


def _new(items: Sequence[Item], held: dict[str, int]) -> list[Item]:
    """The first item of each distinct verified credential among `items` that is not in `held`."""
    first: dict[str, Item] = {}
    for item in items:
        if item.document is not None and item.document.sha256 not in held:
            first.setdefault(item.document.sha256, item)
    return list(first.values())


def commit(
    connection: Connection,
    signer: NoteSigner,
    prepared: Prepared,
    *,
    base_url: str | None = None,
    charge: Charge | None = None,
) -> list[Item]:
    """Decide and store, under the log lock, every item that passed `prepare`.

    `base_url`: the registry's public URL, whose status lists a credential's `credentialStatus` must name;
    without it, a credential with `credentialStatus` is refused. `charge`: given the first item of each
    distinct credential the registry does not hold, read under the lock (so a credential logged by
    another process meanwhile is not charged, and none is logged uncharged), it charges them to their
    programmes' rate limits; every copy of one over its limit is refused with its refusal.
    """
    reservation = log.reserve(connection)
    pending = [item for item in prepared.items if item.document is not None]
    documents = {item.index: item.document for item in pending if item.document is not None}
    observed = prepared.observed
    if observed is not None and observed.holds_at(reservation.head, list(documents.values())):
        seen = observed.state
    else:
        seen = _read_under_the_lock(connection, list(documents.values()))
    fresh, registered, defined, current = seen.keys, seen.registered, seen.defined, dict(seen.current)
    over = charge(_new(pending, registered)) if charge is not None else {}
    claimed = _claimed_slots(pending, base_url)
    held = status_slots.taken(connection, (slot for item in pending for slot in item.slots))
    accepted: list[Item] = []
    first_in_batch: dict[str, Item] = {}
    for item in pending:
        document = documents[item.index]
        if document.sha256 in registered:
            item.outcome = Outcome.DUPLICATE
            item.receipt = log.receipt_for(connection, registered[document.sha256])
            continue
        if document.sha256 in over:
            item.outcome, item.error = Outcome.REJECTED, over[document.sha256]
            continue
        if document.sha256 in first_in_batch:
            item.outcome = Outcome.DUPLICATE  # its receipt is the first copy's, filled in after the append
            continue
        error = claimed.get(item.index) or _refusal(document, fresh, defined, current, reservation.integrated_us)
        error = error or _slot_refusal(item, held)
        if error is not None:
            item.outcome, item.error = Outcome.REJECTED, error
            continue
        item.outcome = Outcome.ACCEPTED
        item.signing_key = fresh.get((document.key.programme_id, document.key.kid))
        first_in_batch[document.sha256] = item
        held.update(dict.fromkeys(item.slots, document.sha256))
        current[(document.payload.programme_id, document.payload.credential_subject.licence_number)] = document.sha256
        accepted.append(item)
    _store(connection, signer, accepted, reservation, status_map_on=seen.status_map_on)
    for item in pending:
        if item.outcome is Outcome.DUPLICATE and item.receipt is None and item.document is not None:
            item.receipt = first_in_batch[item.document.sha256].receipt
    return prepared.items


def _refusal(
    document: Credential,
    fresh: dict[tuple[str, str], KeyRecord],
    defined: set[tuple[str, str, str]],
    current: dict[tuple[str, str], str],
    now_us: int,
) -> RegistryError | None:
    payload = document.payload
    key = fresh.get((document.key.programme_id, document.key.kid))
    try:
        if key is None:  # removed between the two phases: cannot happen today, kept as a guard
            raise UnknownKey("UNKNOWN_KID", f"key {document.key.kid!r} is no longer registered")
        require_key_valid_at(key, now_us)
    except VerificationError as exc:
        return refuse(exc)
    if _category_key(payload) not in defined:
        category = payload.credential_subject.category
        return UnknownCategory(
            f"{payload.programme_id} has not defined category {category.code} version {category.criteria_version}",
            code="UNKNOWN_CATEGORY",
        )
    licence = payload.credential_subject.licence_number
    holder = current.get((payload.programme_id, licence))
    if payload.supersedes is None and holder is not None:
        return Conflict(
            f"licence {licence} already has certificate {holder}; a re-issue must name it in 'supersedes'",
            code="LICENCE_EXISTS",
            current_certificate=holder,
        )
    if payload.supersedes is not None and payload.supersedes != holder:
        return Conflict(
            f"'supersedes' must name the current certificate of licence {licence} ({holder or 'none'})",
            code="SUPERSEDES_MISMATCH",
            current_certificate=holder,
        )
    return None


def _read_under_the_lock(connection: Connection, documents: list[Credential]) -> State:
    """What `observed.observe` reads in one statement, read one statement each (the log lock is held)."""
    return State(
        keys=keys.load(connection, {(d.key.programme_id, d.key.kid) for d in documents}),
        registered=repository.existing_ids(connection, (d.sha256 for d in documents)),
        defined=categories.existing(connection, (_category_key(d.payload) for d in documents)),
        current=repository.current_for_licences(
            connection, ((d.payload.programme_id, d.payload.credential_subject.licence_number) for d in documents)
        ),
        status_map_on=status_map.is_enabled(connection),
    )


def _store(
    connection: Connection,
    signer: NoteSigner,
    accepted: list[Item],
    reservation: log.Reservation,
    *,
    status_map_on: bool,
) -> None:
    if not accepted:
        return
    documents = [item.document for item in accepted if item.document is not None]
    logged = [log.Document.signed(DocumentKind.CERTIFICATE, document) for document in documents]
    # With the status map on, its root is the transaction's last leaf (docs/VERIFIABLE-MAP.md §4.2); off,
    # no chain head is made (each one checks its fields as it is made).
    if status_map_on:
        first = reservation.head.tree_size
        heads = [(d.sha256, ChainHeadValue(first + i, 0, d.sha256, first + i)) for i, d in enumerate(documents)]
        logged += status_map.log_documents(connection, heads, first + len(logged), enabled=True)
    # Nothing below reads what it writes: on PostgreSQL a group's rows go in one round trip (`pipelined`).
    with pipelined(connection, items=len(logged)):
        receipts = log.append(connection, signer, logged, reservation)[: len(accepted)]
        for item, document, receipt in zip(accepted, documents, receipts, strict=True):
            item.receipt, item.stored = receipt, _new_certificate(document, receipt)
        repository.insert_certificates(connection, [item.stored for item in accepted if item.stored is not None])
        status_slots.insert(
            connection, [(slot, item.document.sha256) for item in accepted if item.document for slot in item.slots]
        )
        for document in documents:
            if document.payload.supersedes is not None:
                repository.mark_superseded(connection, document.payload.supersedes, document.sha256)
    for document in documents:
        remember_verified(document)  # its first standing need not verify it again (verification.standing)


def _claimed_slots(pending: list[Item], base_url: str | None) -> dict[int, RegistryError]:
    """Read each credential's status-list slots into `item.slots`; the refusal of each that claims bad ones."""
    refused: dict[int, RegistryError] = {}
    for item in pending:
        if item.document is None or not item.document.payload.status_entries:
            continue
        try:
            if base_url is None:
                raise MalformedInput("STATUS_LIST_FOREIGN", "this submission path takes no credentialStatus")
            item.slots = status_entries(item.document.payload, base_url=base_url)
        except VerificationError as exc:
            refused[item.index] = refuse(exc)
    return refused


def _slot_refusal(item: Item, held: dict[Slot, str]) -> RegistryError | None:
    for slot in item.slots:
        holder = held.get(slot)
        if holder is not None:
            return Conflict(
                f"{slot.purpose} list {slot.number} index {slot.index} is held by certificate {holder}; "
                "sign the credential again with a free slot (GET /v1/programmes/{id}/status-lists/free)",
                code="STATUS_INDEX_TAKEN",
                current_certificate=holder,
            )
    return None


def _new_certificate(document: Credential, receipt: Receipt) -> repository.NewCertificate:
    payload, subject = document.payload, document.payload.credential_subject
    return repository.NewCertificate(
        row={
            "id": document.sha256,
            "programme_id": payload.programme_id,
            "licence_number": subject.licence_number,
            "category_code": subject.category.code,
            "criteria_version": subject.category.criteria_version,
            "holder_name": subject.holder.name,
            "holder_country": subject.holder.country,
            "valid_from_us": to_microseconds(payload.valid_from),
            "valid_until_us": to_microseconds(payload.valid_until),
            "signing_kid": document.key.kid,
            "leaf_index": receipt.leaf_index,
            "integrated_us": receipt.integrated_us,
            "supersedes": payload.supersedes,
            "superseded_by": None,
            "event_count": 0,
            "last_event_sha256": None,
            "lifecycle": "active",
            "markets": list(subject.markets),
        },
        products=[
            {
                "certificate_id": document.sha256,
                "position": position,
                "name": product.name,
                "brand": product.brand,
                "model": product.model,
                "gtin": product.gtin,
            }
            for position, product in enumerate(subject.products)
        ],
        holder_ids=[
            {"certificate_id": document.sha256, "scheme": identifier.scheme.value, "value": identifier.value}
            for identifier in {(i.scheme, i.value): i for i in subject.holder.identifiers}.values()
        ],
    )


def _category_key(payload: EcoLabelCertificate) -> tuple[str, str, str]:
    category = payload.credential_subject.category
    return (payload.programme_id, category.code, category.criteria_version)


class _BatchKeys:
    """The `KeyLookup` of one batch: each programme and key is read when a credential first names it.

    A batch is nearly always signed with one key. Reading every token's claimed signer up front, to load
    all keys in one query, parsed each credential's header and payload once more (2 of 8 strict JSON
    parses per credential, with the rate limiter's). At worst (every credential naming another key)
    this is one primary-key read per credential, still far cheaper than verifying its signature. The
    programme is read only when its key is not found, to tell an unknown programme from an unknown key.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.registered: dict[str, bool] = {}
        self.keys: dict[tuple[str, str], KeyRecord | None] = {}

    def __call__(self, programme: str, kid: str) -> KeyRecord | None:
        wanted = (programme, kid)
        if wanted not in self.keys:
            self.keys[wanted] = keys.load_one(self.connection, programme, kid)
        if self.keys[wanted] is not None:  # a key's row names a registered programme (a foreign key)
            return self.keys[wanted]
        if programme not in self.registered:  # only to say which of the two is unknown
            self.registered[programme] = bool(programmes.existing(self.connection, [programme]))
        if not self.registered[programme]:
            raise UnknownKey("UNKNOWN_PROGRAMME", f"no programme {programme!r} is registered")
        return None
