"""A certificate with everything its standing reads, and the log's checkpoint, in one statement.

A recognition answer about a certificate judges its standing (`certificates.standing`) and names the
checkpoint it was computed at. What the standing reads is the stored record, the credential's bytes,
the signing key's record, the head of the programme's key events and the certificate's status events:
one statement returns them all with the checkpoint, and outside a transaction it sees one snapshot by
itself, so it stands for a read snapshot without its BEGIN and COMMIT (the single verification reads
the same row without the events, through `row`). The status events come as one JSON text per
certificate, so that one statement is still the whole snapshot. `event_count` moves with every
event, in the same transaction, so the list must hold exactly that many (sequences 1 to the count):
`AtHead.events` is None otherwise, and the caller reads it again in a snapshot.

The statement runs on the driver's cursor (`db.raw.Prebuilt`), so every column is one the driver
returns as is: the key's two role flags are read as integers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, String, Text, and_, any_, bindparam, case, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from ecolabel_registry.certificates.repository import certificates, entries, events
from ecolabel_registry.db.raw import DriverConnection, Prebuilt
from ecolabel_registry.log.repository import state_table
from ecolabel_registry.programmes.keys import key_columns, key_events_table, key_record, keys_table, programmes_table
from verification.evidence import KeyHead
from verification.keys import KeyRecord


def _latest_key_event(column: Any) -> Any:
    return (
        select(column)
        .where(key_events_table.c.programme_id == certificates.c.programme_id)
        .order_by(key_events_table.c.sequence.desc())
        .limit(1)
        .scalar_subquery()
    )


class _JSONList(FunctionElement[str]):
    """A JSON array of its arguments: `json_array` on SQLite, `json_build_array` on PostgreSQL."""

    type = Text()
    inherit_cache = True


class _JSONLists(FunctionElement[str]):
    """The JSON array of its argument's values over a group, as text: `json_group_array` on SQLite,
    `json_agg` cast to text on PostgreSQL (so the driver returns the text, as SQLite's does)."""

    type = Text()
    inherit_cache = True


@compiles(_JSONList, "sqlite")
def _json_list_sqlite(element: _JSONList, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_array({compiler.process(element.clauses, **kw)})"


@compiles(_JSONList, "postgresql")
def _json_list_postgresql(element: _JSONList, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_build_array({compiler.process(element.clauses, **kw)})"


@compiles(_JSONLists, "sqlite")
def _json_lists_sqlite(element: _JSONLists, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


@compiles(_JSONLists, "postgresql")
def _json_lists_postgresql(element: _JSONLists, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(json_agg({compiler.process(element.clauses, **kw)}) AS TEXT)"


# What a standing and its evidence read of each status event (`certificates.standing.changes_of`,
# `status_head`), in this order in each event's JSON list. Every one is an integer, a short string or
# null, which JSON carries exactly.
_EVENT_COLUMNS = ("sequence", "status", "effective_us", "valid_until_us", "integrated_us", "sha256", "leaf_index")


def _events_json() -> Any:
    """The certificate's status events as one JSON text (in any order; `_events` sorts them), NULL
    without events (no read of the events table for most certificates)."""
    listed = (
        select(_JSONLists(_JSONList(*(events.c[name] for name in _EVENT_COLUMNS))))
        .where(events.c.certificate_id == certificates.c.id)
        .scalar_subquery()
    )
    return case((certificates.c.event_count > 0, listed), else_=None)


def _select(where: Any, *, with_events: bool = True, with_checkpoint: bool = True) -> Any:
    return (
        select(
            certificates.c.id,
            certificates.c.programme_id,
            certificates.c.licence_number,
            certificates.c.category_code,
            certificates.c.criteria_version,
            certificates.c.signing_kid,
            certificates.c.valid_from_us,
            certificates.c.valid_until_us,
            certificates.c.integrated_us,
            certificates.c.leaf_index,
            certificates.c.event_count,
            entries.c.document,
            *key_columns("key_"),
            programmes_table.c.registered_leaf_index.label("programme_leaf_index"),
            _latest_key_event(key_events_table.c.sequence).label("key_head_sequence"),
            _latest_key_event(key_events_table.c.leaf_index).label("key_head_leaf_index"),
            state_table.c.tree_size.label("head_tree_size"),
            state_table.c.root_hash.label("head_root_hash"),
            *([state_table.c.checkpoint.label("head_checkpoint")] if with_checkpoint else []),
            *([_events_json().label("events_json")] if with_events else []),
        )
        .join(entries, entries.c.leaf_index == certificates.c.leaf_index)
        .join(state_table, state_table.c.id == 1)
        .join(programmes_table, programmes_table.c.id == certificates.c.programme_id)
        .outerjoin(
            keys_table,
            and_(
                keys_table.c.programme_id == certificates.c.programme_id, keys_table.c.kid == certificates.c.signing_kid
            ),
        )
        .where(where)
    )


_ROW = Prebuilt(_select(certificates.c.id == bindparam("id"), with_events=False))
_READ_ONE = Prebuilt(_select(certificates.c.id == bindparam("id")))
# The same columns for several certificates at once (PostgreSQL only: an array parameter), for reads that
# concurrent requests share (`recognition.reads`): each row is the one `_READ_ONE` gives for its id. `_ROW`:
# the same without the events, for the single verification (`row`).
_READ_MANY = Prebuilt(_select(certificates.c.id == any_(bindparam("ids", type_=ARRAY(String)))))
# `read`'s: a recognition answer names the checkpoint by tree size and root hash, never by its note, so
# the note's text (~180 bytes) is not read (a twelfth of the statement's time on SQLite).
_READ = Prebuilt(_select(certificates.c.id == bindparam("id"), with_checkpoint=False))


class AtHead(NamedTuple):
    """What one read returned: the row (the certificate's columns and `document`), its key, the head
    of its programme's key events, and the checkpoint (tree size, root hash). A tuple: made for every
    answer about a certificate, where a frozen dataclass set each field through `object.__setattr__`."""

    row: Mapping[str, Any]
    key: KeyRecord | None  # None: the key it names is not registered (`keys.load_one` would say so)
    key_head: KeyHead
    tree_size: int
    root_hash: bytes
    # Its status events in sequence order, as `certificates.repository.events_of` gives their fields
    # (`_EVENT_COLUMNS`), read in the same statement; None if they do not agree with `event_count`.
    events: Sequence[Mapping[str, Any]] | None

    @property
    def has_events(self) -> bool:
        return bool(self.row["event_count"])


def row(connection: Connection | DriverConnection, certificate_id: str) -> dict[str, Any] | None:
    """The statement's row: the certificate's columns, `document`, the key as `key_columns("key_")` (read
    by `programmes.keys.key_record(row, "key_")`), the key head's columns and the checkpoint as
    `head_tree_size`, `head_root_hash` and `head_checkpoint`; None for an unknown id."""
    return _ROW.first(connection, id=certificate_id)


def read(connection: Connection | DriverConnection, certificate_id: str) -> AtHead | None:
    """`read_many`'s for one certificate, but for the checkpoint's note (`head_checkpoint`), which no
    caller of this one reads."""
    row = _READ.first(connection, id=certificate_id)
    return None if row is None else _at_head(row)


def read_many(connection: DriverConnection, certificate_ids: list[str]) -> dict[str, AtHead]:
    """`read` for several certificates in one statement (PostgreSQL), by id; the missing ones are absent.

    One id takes `_READ`'s `id = $1`: PostgreSQL's generic plan for `ANY($1)` expects several rows and,
    over small tables, hash-joins a sequential scan of the log entries, a fifth more of the database's
    CPU for that one row than the index lookups `_READ` plans (BENCHMARKS.md)."""
    if len(certificate_ids) == 1:
        rows = _READ_ONE.dicts(connection, id=certificate_ids[0])
    else:
        rows = _READ_MANY.dicts(connection, ids=certificate_ids)
    return {row["id"]: _at_head(row) for row in rows}


def _at_head(row: dict[str, Any]) -> AtHead:
    key = key_record(row, "key_")
    sequence = row["key_head_sequence"]
    # As `programmes.keys.heads` says it: the registration leaf until the first key event. Both tuples
    # by position, in their fields' order, without the named tuples' own `__new__` (a Python function).
    key_head = _tuple(
        KeyHead,
        (
            row["programme_id"],
            sequence or 0,
            row["programme_leaf_index"] if sequence is None else row["key_head_leaf_index"],
        ),
    )
    found = _events(row.pop("events_json", None), row["event_count"])
    return _tuple(AtHead, (row, key, key_head, row["head_tree_size"], bytes(row["head_root_hash"]), found))


_tuple = tuple.__new__


def _events(text: str | None, count: int) -> tuple[dict[str, Any], ...] | None:
    """The events' JSON as rows in sequence order: exactly sequences 1..`count`, else None."""
    if not count:
        return ()
    if text is None:
        return None
    listed = sorted(orjson.loads(text), key=lambda item: item[0])
    if [item[0] for item in listed] != list(range(1, count + 1)):
        return None
    return tuple(dict(zip(_EVENT_COLUMNS, item, strict=True)) for item in listed)
