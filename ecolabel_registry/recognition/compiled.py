"""The agreement graph and the category crosswalk, compiled once per log head and answered from memory.

Every recognition answer (`GET /v1/equivalence`, TRQP recognition and authorization, the "or
equivalent" step of eligibility) reads the same inputs: the agreements with their parties' signatures
and their event chains, and the crosswalk codes of the categories. Reading and decoding them took most
of a question's time, yet they change only when the log gains a leaf of one of `KINDS`: the tables they
come from are written in the same transaction as such a leaf, and by nothing else (`rebuild` replays
the same leaves into the same rows).

So each process keeps, per database engine, one `Compiled` value built from one read snapshot, with the
**head** it was built at: the highest leaf index of each kind in `KINDS`, read in that snapshot (one
statement of short index scans, migration 0015). The value is used only for a snapshot whose head is
equal, so an answer never mixes states: what it relied on is exactly what its snapshot holds, and the
checkpoint it names (read in the same snapshot) agrees. An append by any process moves the head, so
every process notices it on its next question. Leaf indexes name one leaf forever (the log is
append-only), so equal heads mean equal inputs; a database replaced under a running process by another
registry's is not supported (restart it), as for the proof-node cache in `ecolabel_registry.log.repository`.

Most appends are certificates, which move the log but not that head, and most questions find the log
as the last one did. So the value is also remembered with the **checkpoint** (tree size and root hash)
at which it was last confirmed (`at_checkpoint`): a question reads the checkpoint, one row by primary
key, and the head only when the checkpoint moved (the root hash commits to every leaf, so an equal
checkpoint means an equal head). A question that needs nothing else from the database (about a
programme, not a certificate) reads the checkpoint with one statement outside any transaction
(`current`), which sees one snapshot by itself. docs/SECURITY.md, "Caches", lists every cache.
"""

from __future__ import annotations

import base64
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, func, select

from ecolabel_registry.agreements import lookup as agreements
from ecolabel_registry.agreements import repository as agreement_rows
from ecolabel_registry.db.engine import read_snapshot, single_statements
from ecolabel_registry.db.models import CategoryCode, LogEntry, Programme
from ecolabel_registry.db.raw import DriverConnection, Prebuilt
from ecolabel_registry.log.repository import state_table
from verification.agreements import AgreementRecord
from verification.evidence import checkpoint_json
from verification.leaf import DocumentKind
from verification.recognition_paths import AgreementSet

codes_table = CategoryCode.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
entries = LogEntry.__table__  # type: ignore[attr-defined]
programmes_table = Programme.__table__  # type: ignore[attr-defined]

#: The kinds of leaf whose transactions write agreements, parties, agreement events, categories and their
#: crosswalk codes, or programmes and their keys (which the answers name or may come to depend on).
KINDS = (
    DocumentKind.PROGRAMME,
    DocumentKind.KEY_EVENT,
    DocumentKind.KEY_EVENT_APPROVAL,
    DocumentKind.PROGRAMME_RECOVERY,
    DocumentKind.CATEGORY,
    DocumentKind.AGREEMENT,
    DocumentKind.AGREEMENT_SIGNATURE,
    DocumentKind.AGREEMENT_EVENT,
    DocumentKind.AGREEMENT_EVENT_APPROVAL,
)

Head = tuple[int | None, ...]  # per kind in KINDS: its highest leaf index, None while it has none

# Built once, so SQLAlchemy reuses the compiled statement. Each subquery is one backward scan of
# ix_log_entries_kind_leaf on SQLite and PostgreSQL alike.
_HEAD = select(
    *(
        select(func.max(entries.c.leaf_index)).where(entries.c.kind == kind.value).scalar_subquery().label(kind.value)
        for kind in KINDS
    )
)


# The checkpoint the snapshot holds: one row by primary key, on the driver's cursor (`db.raw`).
_CHECKPOINT = Prebuilt(select(state_table.c.tree_size, state_table.c.root_hash).where(state_table.c.id == 1))


@dataclass(frozen=True)
class _AgreementHead:
    leaf_index: int
    event_count: int
    last_event_sha256: str | None
    last_event_leaf_index: int | None

    def to_api(self, agreement_id: str) -> dict[str, Any]:
        """As `agreements.lookup.heads_of` writes it; a new dict each time, as callers may keep it."""
        return {
            "agreement_id": agreement_id,
            "leaf_index": self.leaf_index,
            "event_head": {
                "sequence": self.event_count,
                "sha256": self.last_event_sha256,
                "leaf_index": self.last_event_leaf_index,
            },
        }


@dataclass(frozen=True)
class Compiled:
    """Everything a recognition answer reads besides the certificate, as of `head`."""

    head: Head
    programmes: frozenset[str]  # every registered programme (a programme leaf adds each)
    records: Mapping[str, AgreementRecord]  # by agreement id, in id order
    parties: Mapping[str, frozenset[str]]  # agreement id -> its parties, as the party rows list them
    onward: frozenset[str]  # ids of the agreements that allow onward recognition
    agreement_heads: Mapping[str, _AgreementHead]
    exact_codes: Mapping[tuple[str, str], frozenset[tuple[str, str]]]  # (scheme, value) -> (programme, code)
    checked_codes: Mapping[tuple[str, str], frozenset[tuple[str, str]]]  # (scheme, "30213000") for "30213000-5"
    # `relevant_to` prepared for many questions, per registered programme, filled as questions come.
    _prepared: dict[str, AgreementSet] = field(default_factory=dict, compare=False, repr=False)

    def has_programme(self, programme: str) -> bool:
        """`programmes.repository.exists`, from memory."""
        return programme in self.programmes

    def relevant_to(self, programme: str) -> list[AgreementRecord]:
        """`agreements.repository.relevant_to` and `agreements.lookup.records`, from memory."""
        return [
            record
            for agreement_id, record in self.records.items()
            if programme in self.parties[agreement_id] or agreement_id in self.onward
        ]

    def prepared_for(self, programme: str) -> AgreementSet:
        """`relevant_to` as an `AgreementSet`: its in-force edges are kept per stretch of time."""
        found = self._prepared.get(programme)
        if found is None:
            found = AgreementSet(self.relevant_to(programme))
            if programme in self.programmes:  # bounded by the registered programmes
                self._prepared[programme] = found  # racing threads build equal values
        return found

    def heads_of(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """`agreements.lookup.heads_of`, from memory: agreement id -> its leaf and event chain head."""
        return {i: self.agreement_heads[i].to_api(i) for i in dict.fromkeys(ids) if i in self.agreement_heads}

    def categories_with_code(self, scheme: str, value: str) -> set[tuple[str, str]]:
        """`recognition.repository.categories_with_code`, from memory (the same matching rule)."""
        if scheme == "cpv":
            digits = value[:8]
            return {*self.exact_codes.get((scheme, digits), ()), *self.checked_codes.get((scheme, digits), ())}
        return set(self.exact_codes.get((scheme, value), ()))


def read_head(connection: Connection) -> Head:
    return tuple(connection.execute(_HEAD).one())


@dataclass(frozen=True)
class _Confirmed:
    """A compiled graph known to hold for the log at one checkpoint (tree size and root hash)."""

    tree_size: int
    root_hash: bytes
    graph: Compiled
    judged_at: dict[str, Any]


def at_checkpoint(connection: Connection) -> tuple[Compiled, dict[str, Any]]:
    """The compiled inputs as of this snapshot, and the checkpoint it holds (`service.judged_at`'s form).

    One read of the log's state row (by primary key) when the log has not grown since this process last
    confirmed its graph. Equal tree size and root hash mean the same leaves (the root hash commits to
    every one of them), hence the same head of `KINDS` and the same graph: the head is read again only
    when the checkpoint moved, and the graph is compiled again only when that head moved too.
    """
    return at_known_checkpoint(connection, *read_checkpoint(connection))


def at_known_checkpoint(connection: Connection, tree_size: int, root_hash: bytes) -> tuple[Compiled, dict[str, Any]]:
    """`at_checkpoint` for a checkpoint already read in this snapshot (`certificates.at_head` reads it)."""
    engine = connection.engine
    found = _confirmed.get(engine)
    if found is None or found.tree_size != tree_size or found.root_hash != root_hash:
        judged = checkpoint_json(tree_size, base64.b64encode(root_hash).decode())
        found = _Confirmed(tree_size, root_hash, compiled(connection), judged)
        with _lock:
            current = _confirmed.get(engine)
            # Snapshots of different ages may race here too: keep the larger log.
            if current is None or current.tree_size <= tree_size:
                _confirmed[engine] = found
    return found.graph, dict(found.judged_at)  # a new dict each time, as callers may keep it


def current(engine: Engine) -> tuple[Compiled, dict[str, Any]]:
    """`at_checkpoint` for an answer that reads nothing else from the database (a programme, not a certificate).

    When the log has not grown since the graph was confirmed, one statement outside any transaction is
    enough: it sees one snapshot by itself, and the graph is a function of the checkpoint it returns.
    Otherwise the checkpoint, the head and (if it moved) the graph are read in one snapshot, as always.
    """
    with single_statements(engine) as connection:
        tree_size, root_hash = read_checkpoint(connection)
    found = confirmed_at(engine, tree_size, root_hash)
    if found is not None:
        return found
    with read_snapshot(engine) as connection:
        return at_checkpoint(connection)


def confirmed_at(engine: Engine, tree_size: int, root_hash: bytes) -> tuple[Compiled, dict[str, Any]] | None:
    """The graph and checkpoint, if the graph was confirmed at this checkpoint; else None."""
    found = _confirmed.get(engine)
    if found is not None and found.tree_size == tree_size and found.root_hash == root_hash:
        return found.graph, dict(found.judged_at)
    return None


def read_checkpoint(connection: Connection | DriverConnection) -> tuple[int, bytes]:
    row = _CHECKPOINT.first(connection)
    if row is None:
        raise LookupError("the log has no state row: the database is not migrated")
    return row["tree_size"], bytes(row["root_hash"])


def compiled(connection: Connection) -> Compiled:
    """The compiled inputs as of this connection's snapshot: from memory when its head has not moved."""
    head = read_head(connection)
    engine = connection.engine
    found = _compiled.get(engine)
    if found is not None and found.head == head:
        return found
    built = compile_at(connection, head)
    with _lock:
        current = _compiled.get(engine)
        # Two threads may build at once from snapshots of different ages: keep the newer.
        if current is None or _newest(current.head) <= _newest(head):
            _compiled[engine] = built
    return built


def compile_at(connection: Connection, head: Head) -> Compiled:
    """Read and decode every agreement and crosswalk code in this snapshot (whose head is `head`)."""
    rows = agreement_rows.every(connection)
    ids = [row["id"] for row in rows]
    party_rows, event_rows = agreement_rows.parties_of(connection, ids), agreement_rows.events_of(connection, ids)
    records = {row["id"]: agreements.record_of(row, party_rows[row["id"]], event_rows[row["id"]]) for row in rows}
    heads = {
        row["id"]: _AgreementHead(
            row["leaf_index"],
            row["event_count"],
            row["last_event_sha256"],
            event_rows[row["id"]][-1]["leaf_index"] if event_rows.get(row["id"]) else None,
        )
        for row in rows
    }
    exact: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    checked: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    query = select(codes_table.c.scheme, codes_table.c.value, codes_table.c.programme_id, codes_table.c.code)
    for code in connection.execute(query):
        pair = (code.programme_id, code.code)
        exact[(code.scheme, code.value)].add(pair)
        if len(code.value) >= 2 and code.value[-2] == "-":  # LIKE digits || '-_': a check digit after a dash
            checked[(code.scheme, code.value[:-2])].add(pair)
    programme_ids = frozenset(connection.execute(select(programmes_table.c.id)).scalars())
    return Compiled(
        head=head,
        programmes=programme_ids,
        records=records,
        parties={i: frozenset(p["programme_id"] for p in party_rows[i]) for i in ids},
        onward=frozenset(row["id"] for row in rows if row["onward_recognition"]),
        agreement_heads=heads,
        exact_codes={key: frozenset(pairs) for key, pairs in exact.items()},
        checked_codes={key: frozenset(pairs) for key, pairs in checked.items()},
    )


def _newest(head: Head) -> int:
    return max((index for index in head if index is not None), default=-1)


_compiled: WeakKeyDictionary[Engine, Compiled] = WeakKeyDictionary()
_confirmed: WeakKeyDictionary[Engine, _Confirmed] = WeakKeyDictionary()
_lock = threading.Lock()
