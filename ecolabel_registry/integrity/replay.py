"""Replay the log into a database: every logged document goes through the write path that first took it.

A replay does not have rules of its own. Each leaf is handed to the same service function that accepted
it (programme registration, key events and their approvals, recoveries, categories, certificates, status
events, agreements, their signatures, events and approvals), inside `log.service.replaying`: the service
then judges the document at its original log time, and its `append` must log exactly that leaf again (the
same kind and bytes, at the same index), so the rows it writes are the rows the registry wrote. A document
the write path now refuses, a leaf missing from the source, or a leaf whose hash differs from the stored one
stops the replay with a `Divergence` that names it.

Supply-chain leaves carry request bodies whose rows hold identifiers chosen at random when they were
written; the replay copies such leaves into the log and leaves their rows alone (docs/DEPLOYMENT.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from ecolabel_registry.agreements import events as agreement_events
from ecolabel_registry.agreements import signing as agreement_signing
from ecolabel_registry.categories import service as categories
from ecolabel_registry.certificates import events as certificate_events
from ecolabel_registry.certificates import submission
from ecolabel_registry.certificates.schemas import Outcome
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.db.models import LogCosignature
from ecolabel_registry.errors import LogIntegrityError, RegistryError
from ecolabel_registry.integrity.divergence import Divergence
from ecolabel_registry.log import repository as log_repository
from ecolabel_registry.log import service as log
from ecolabel_registry.programmes import key_events
from ecolabel_registry.programmes import service as programmes
from ecolabel_registry.programmes.schemas import ProgrammeRecoveryRequest, ProgrammeRegistration
from ecolabel_registry.status_map import service as status_map
from ecolabel_registry.supply.parties import append as append_supply_document
from verification.b64 import b64url_decode
from verification.errors import VerificationError
from verification.leaf import DocumentKind, entry_leaf_hash
from verification.strictjson import loads_strict

_COSIGNATURES = LogCosignature.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
_KINDS = frozenset(kind.value for kind in DocumentKind)
# Leaves read from the source per query, and written to the target per transaction.
CHUNK = 2_000

Progress = Callable[[int], None]


def _payload(token: bytes) -> dict[str, Any]:
    """The claims of a logged JWS, unverified: only to find which service takes it (that service verifies)."""
    parts = token.split(b".")
    if len(parts) != 3:
        return {}
    data = loads_strict(b64url_decode(parts[1].decode("ascii"), what="JWS payload"))
    return data if isinstance(data, dict) else {}


def _programme_of(claims: dict[str, Any]) -> str:
    issuer = claims.get("issuer")
    return issuer.rsplit(":", 1)[-1] if isinstance(issuer, str) else ""


class _Expected:
    """The leaves of one step of the replay, consumed by the service's `append` (`log.service.Replaying`)."""

    def __init__(self, entries: Sequence[log_repository.NewEntry]) -> None:
        self.entries = list(entries)

    def logged_us(self) -> int:
        return self.entries[0].integrated_us

    def expect(self, tree_size: int, documents: Sequence[log.Document]) -> None:
        for offset, document in enumerate(documents):
            index = tree_size + offset
            entry = self.entries[0] if self.entries else None
            if entry is None or entry.leaf_index != index or entry.kind != document.kind.value:
                raise Divergence("log_entries", index, "the logged leaf", f"a new {document.kind.value} document")
            if entry.document != document.content:
                raise Divergence("log_entries", index, "the logged document", "other document bytes")
            self.entries.pop(0)


@dataclass
class ReplayResult:
    tree_size: int
    root_hash: bytes


class LogReplay:
    """Replays the log `source` sees (best a read snapshot), from the target's own tree size on, into
    `context.engine`; the target's log must be a prefix of the source's."""

    def __init__(self, source: Connection, context: RegistryContext, *, progress: Progress | None = None) -> None:
        self.source = source
        self.context = context
        self.progress = progress or (lambda _: None)

    def run(self, until: int | None = None) -> ReplayResult:
        head = log_repository.read_head(self.source)
        end = head.tree_size if until is None else until
        with self.context.engine.connect() as connection:
            start = log_repository.read_head(connection).tree_size
        for chunk in self._chunks(start, end):
            with write_connection(self.context.engine) as connection:
                for step in _steps(chunk):
                    self._apply(connection, step)
            self.progress(len(chunk))
        self._copy_checkpoints(end)
        with self.context.engine.connect() as connection:
            done = log_repository.read_head(connection)
        return ReplayResult(done.tree_size, done.root_hash)

    def _chunks(self, start: int, end: int) -> Iterator[list[log_repository.NewEntry]]:
        position = start
        while position < end:
            stop = min(end, position + CHUNK)
            try:
                entries = log_repository.fetch_entries(self.source, position, stop)
            except LogIntegrityError as exc:
                raise Divergence("log_entries", exc.extensions["leaf_index"], "a stored leaf", "no row") from exc
            leaves = log_repository.fetch_nodes(self.source, [(0, i) for i in range(position, stop)])
            for index, entry in enumerate(entries, start=position):
                if entry.kind not in _KINDS:
                    raise Divergence("log_entries", index, "a known kind", entry.kind)
                leaf = entry_leaf_hash(DocumentKind(entry.kind), entry.integrated_us, entry.document)
                if leaf != entry.leaf_hash:  # the entry's own columns disagree: the row was edited
                    raise Divergence(
                        "log_entries", index, f"leaf_hash {leaf.hex()}", f"leaf_hash {entry.leaf_hash.hex()}"
                    )
                if leaves.get((0, index)) != leaf:  # the tree's leaf differs from the entry's
                    raise Divergence("log_nodes", f"0/{index}", leaf.hex(), _hex(leaves.get((0, index))))
            yield entries
            position = stop

    def _apply(self, connection: Connection, step: list[log_repository.NewEntry]) -> None:
        expected = _Expected(step)
        first = step[0]
        try:
            with log.replaying(expected):
                self._dispatch(connection, DocumentKind(first.kind), step)
        except RegistryError as exc:
            raise Divergence("log_entries", first.leaf_index, "accepted again", f"refused: {exc.detail}") from exc
        except (VerificationError, ValueError) as exc:  # a logged document that no longer even parses
            raise Divergence("log_entries", first.leaf_index, "a well-formed document", str(exc)) from exc
        if expected.entries:
            raise Divergence("log_entries", expected.entries[0].leaf_index, "accepted again", "not logged again")

    def _dispatch(self, connection: Connection, kind: DocumentKind, step: list[log_repository.NewEntry]) -> None:
        signer, document = self.context.note_signer, step[0].document
        if kind is DocumentKind.PROGRAMME:
            registration = ProgrammeRegistration.model_validate(loads_strict(document))
            programmes.register(connection, signer, registration, document)
        elif kind is DocumentKind.CERTIFICATE:
            credentials = [entry for entry in step if entry.kind == DocumentKind.CERTIFICATE.value]
            tokens = [entry.document.decode("ascii") for entry in credentials]
            names = self.context.did_names  # as the API takes them: DID issuers, status-list entries
            prepared = submission.prepare(connection, tokens, names=names)
            items = submission.commit(connection, signer, prepared, base_url=names.base_url)
            for item, entry in zip(items, credentials, strict=True):
                if item.outcome is not Outcome.ACCEPTED:
                    detail = item.error.detail if item.error is not None else str(item.outcome)
                    raise Divergence("log_entries", entry.leaf_index, "accepted again", f"refused: {detail}")
        elif kind is DocumentKind.CERTIFICATE_EVENT:  # one event, or a group logged in one append
            events = [entry for entry in step if entry.kind == DocumentKind.CERTIFICATE_EVENT.value]
            requests = [
                (str(_payload(entry.document).get("certificate")), entry.document.decode("ascii")) for entry in events
            ]
            outcomes = certificate_events.submit_many(connection, self.context, requests)
            for outcome, entry in zip(outcomes, events, strict=True):
                if isinstance(outcome, RegistryError):
                    raise Divergence("log_entries", entry.leaf_index, "accepted again", f"refused: {outcome.detail}")
        elif kind is DocumentKind.STATUS_MAP:  # the root the operator's `status-map enable` logged
            if status_map.enable(connection, signer) is None:
                raise Divergence("log_entries", step[0].leaf_index, "the map turned on", "already on")
        elif kind is DocumentKind.SUPPLY_CHAIN:  # the leaf only (module docstring)
            append_supply_document(connection, signer, log.reserve(connection), document)
        else:
            self._signed(connection, kind, document.decode("ascii"), _payload(document))

    def _signed(self, connection: Connection, kind: DocumentKind, token: str, claims: dict[str, Any]) -> None:
        """A signed document that names what it applies to (its programme, certificate or agreement)."""
        signer = self.context.note_signer
        programme, agreement, event = _programme_of(claims), str(claims.get("agreement")), str(claims.get("event"))
        if kind is DocumentKind.KEY_EVENT:
            key_events.submit(connection, signer, programme, token)
        elif kind is DocumentKind.KEY_EVENT_APPROVAL:
            key_events.approve(connection, signer, programme, event, token)
        elif kind is DocumentKind.PROGRAMME_RECOVERY:
            request = ProgrammeRecoveryRequest(
                root_keys=claims.get("rootKeys", []),
                root_threshold=claims.get("rootThreshold", 1),
                reason=claims.get("reason", ""),
            )
            key_events.recover(connection, signer, self.context.signing_key, str(claims.get("programme")), request)
        elif kind is DocumentKind.CATEGORY:
            categories.define(connection, signer, programme, token)
        elif kind is DocumentKind.AGREEMENT:
            agreement_signing.propose(connection, signer, token)
        elif kind is DocumentKind.AGREEMENT_SIGNATURE:
            agreement_signing.sign(connection, signer, agreement, token)
        elif kind is DocumentKind.AGREEMENT_EVENT:
            agreement_events.submit(connection, signer, agreement, token)
        else:  # DocumentKind.AGREEMENT_EVENT_APPROVAL
            agreement_events.approve(connection, signer, agreement, event, token)

    def _copy_checkpoints(self, end: int) -> None:
        """The checkpoints the registry signed (and their cosignatures) are facts of the log, not derived."""
        checkpoints, cosignatures = log_repository.checkpoints_table, _COSIGNATURES
        with self.context.engine.connect() as connection:
            have = connection.execute(select(func.max(checkpoints.c.tree_size))).scalar_one_or_none() or 0
        wanted = (checkpoints.c.tree_size > have, checkpoints.c.tree_size <= end)
        notes = [dict(row) for row in self.source.execute(select(checkpoints).where(*wanted)).mappings()]
        cosigned = [
            dict(row)
            for row in self.source.execute(
                select(cosignatures).where(cosignatures.c.tree_size > have, cosignatures.c.tree_size <= end)
            ).mappings()
        ]
        head_note = self.source.execute(
            select(checkpoints.c.note).where(checkpoints.c.tree_size == end)
        ).scalar_one_or_none()
        with write_connection(self.context.engine) as connection:
            if notes:
                connection.execute(insert(checkpoints), notes)
            if cosigned:
                connection.execute(insert(cosignatures), cosigned)
            if head_note is not None:
                state = log_repository.state_table
                connection.execute(update(state).where(state.c.id == 1).values(checkpoint=head_note))


def _hex(value: bytes | None) -> str:
    return value.hex() if value is not None else "no row"


_MAPPED = frozenset({DocumentKind.CERTIFICATE.value, DocumentKind.CERTIFICATE_EVENT.value})
# Kinds whose write path logs many documents in one append (a batch, or a group commit's events).
_GROUPED = _MAPPED


def _steps(entries: list[log_repository.NewEntry]) -> Iterator[list[log_repository.NewEntry]]:
    """One write per step: consecutive certificates logged in one append (same log time) form one batch,
    as do consecutive status events (a group commit, `ecolabel_registry.certificates.sequencer`); a
    `status_map` leaf logged in the same append as certificates or status events belongs to their step
    (their write path logs it last when the map is on); one logged on its own is `enable`'s."""
    batch: list[log_repository.NewEntry] = []
    for entry in entries:
        same_append = bool(batch) and batch[-1].integrated_us == entry.integrated_us
        if same_append and entry.kind in _GROUPED and batch[-1].kind == entry.kind:
            batch.append(entry)
            continue
        if same_append and entry.kind == DocumentKind.STATUS_MAP.value and batch[-1].kind in _MAPPED:
            batch.append(entry)
            yield batch
            batch = []
            continue
        if batch:
            yield batch
        batch = [entry]
    if batch:
        yield batch
