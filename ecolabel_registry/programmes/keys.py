"""Programme keys as `verification.keys.KeyRecord`s and `KeyRing`s, read in bulk, and written back.

The rules of a key change live in `verification.keys`; this module reads a programme's ring and
stores the ring a change produced (`store_change`), nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Integer, and_, bindparam, func, insert, select, tuple_, type_coerce, update

from ecolabel_registry.db.models import KeyEventRow, Programme, ProgrammeKey
from ecolabel_registry.db.raw import Prebuilt
from verification.evidence import KeyHead
from verification.keys import KeyRecord, KeyRing

keys_table = ProgrammeKey.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
key_events_table = KeyEventRow.__table__  # type: ignore[attr-defined]
programmes_table = Programme.__table__  # type: ignore[attr-defined]


def load(connection: Connection, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], KeyRecord]:
    """Key records for (programme_id, kid) pairs; absent pairs are simply missing from the result."""
    pairs = sorted(set(wanted))
    if not pairs:
        return {}
    if len(pairs) == 1:  # a group commit's credentials nearly always name one key: a prebuilt read
        found = load_one(connection, *pairs[0])
        return {} if found is None else {pairs[0]: found}
    rows = connection.execute(
        select(keys_table).where(tuple_(keys_table.c.programme_id, keys_table.c.kid).in_(pairs))
    ).mappings()
    return {(row["programme_id"], row["kid"]): _record(row) for row in rows}


def load_one(connection: Connection, programme_id: str, kid: str) -> KeyRecord | None:
    """`load` for one key, by a statement built once and run on the driver's cursor (`db.raw`): it is
    read for every single submission, where SQLAlchemy's execution and row processing cost more than
    the primary-key read. Outside a transaction it starts none (SQLite: no BEGIN for it)."""
    row = _ONE_KEY.first(connection, programme_id=programme_id, kid=kid)
    return _record(row) if row is not None else None


def of_programme(connection: Connection, programme_id: str) -> list[KeyRecord]:
    rows = connection.execute(
        select(keys_table)
        .where(keys_table.c.programme_id == programme_id)
        .order_by(keys_table.c.added_us, keys_table.c.kid)
    ).mappings()
    return [_record(row) for row in rows]


def ring(connection: Connection, programme_id: str) -> KeyRing:
    """The programme's keys, root threshold and key-event count, as the rules in `verification.keys` take them."""
    threshold = connection.execute(
        select(programmes_table.c.root_threshold).where(programmes_table.c.id == programme_id)
    ).scalar_one()
    return KeyRing(
        programme_id,
        tuple(of_programme(connection, programme_id)),
        threshold,
        key_event_count(connection, programme_id),
    )


_RECORD_COLUMNS = ("programme_id", "kid", "public_key", "added_us", "ended_us", "compromised_since_us")


def key_columns(prefix: str) -> list[Any]:
    """A key record's columns, each labelled `prefix` + its name, for a statement that reads a key beside
    other rows (an outer join: `kid` is NULL when no key matched). `key_record(row, prefix)` reads them,
    so every statement that judges by a key reads all of it, roles included."""
    return [
        *(keys_table.c[name].label(prefix + name) for name in _RECORD_COLUMNS),
        # The roles as the driver returns them (SQLite: 0 or 1), so that no result processor is needed.
        type_coerce(keys_table.c.root, Integer).label(prefix + "root"),
        type_coerce(keys_table.c.signing, Integer).label(prefix + "signing"),
    ]


def key_record(row: Mapping[Any, Any], prefix: str = "") -> KeyRecord | None:
    """The key record in `row`'s columns named by `key_columns(prefix)`, or None where no key matched."""
    if row[prefix + "kid"] is None:
        return None
    return _record(row, prefix)


def _record(row: Mapping[Any, Any], prefix: str = "") -> KeyRecord:
    # The columns by one `itemgetter` per prefix, the record by position (its fields' order): a
    # certificate's answer reads one, a catalogue's a key per certificate. Equal columns give the one
    # record `_RECORDS` keeps for them (a frozen dataclass of eight fields costs ~13,000 instructions to
    # build, a third of a certificate's row turned into its record, `certificates.at_head`).
    columns = _getter(prefix)(row)
    kept = type(columns[2]) is bytes  # a driver's memoryview of the key is built into a record each time
    if kept and (found := _RECORDS.get(columns)) is not None:
        return found
    programme_id, kid, public_key, added_us, ended_us, compromised_since_us, root, signing = columns
    found = KeyRecord(
        programme_id, kid, bytes(public_key), added_us, ended_us, compromised_since_us, bool(root), bool(signing)
    )
    if kept:
        if len(_RECORDS) >= _RECORDS_MAX:
            _RECORDS.clear()
        _RECORDS[columns] = found
    return found


# Key records by every column they were built from (docs/SECURITY.md, "Caches"): a record is a pure
# function of its columns, and every answer still reads them; the roles as 0/1 or False/True are equal keys
# of equal records.
_RECORDS: dict[tuple[Any, ...], KeyRecord] = {}
_RECORDS_MAX = 4096


@cache
def _getter(prefix: str) -> Callable[[Mapping[Any, Any]], tuple[Any, ...]]:
    return itemgetter(*(prefix + name for name in (*_RECORD_COLUMNS, "root", "signing")))


def key_event_count(connection: Connection, programme_id: str) -> int:
    count: int = connection.execute(
        select(func.count()).select_from(key_events_table).where(key_events_table.c.programme_id == programme_id)
    ).scalar_one()
    return count


def insert_keys(connection: Connection, records: Iterable[KeyRecord], leaf_index: int) -> None:
    rows = [
        {
            "programme_id": record.programme_id,
            "kid": record.kid,
            "public_key": record.public_key,
            "added_us": record.added_us,
            "added_leaf_index": leaf_index,
            "ended_us": record.ended_us,
            "compromised_since_us": record.compromised_since_us,
            "root": record.root,
            "signing": record.signing,
        }
        for record in records
    ]
    if rows:
        connection.execute(insert(keys_table), rows)


def store_change(
    connection: Connection, before: KeyRing, after: KeyRing, *, action: str, kid: str | None, leaf_index: int
) -> None:
    """Write what differs between two rings of one programme, and the key event that made the difference."""
    old = {record.kid: record for record in before.keys}
    insert_keys(connection, [record for record in after.keys if record.kid not in old], leaf_index)
    for record in after.keys:
        if record.kid in old and record != old[record.kid]:
            connection.execute(
                update(keys_table)
                .where(keys_table.c.programme_id == record.programme_id, keys_table.c.kid == record.kid)
                .values(
                    ended_us=record.ended_us,
                    compromised_since_us=record.compromised_since_us,
                    root=record.root,
                    signing=record.signing,
                )
            )
    if after.threshold != before.threshold:
        connection.execute(
            update(programmes_table)
            .where(programmes_table.c.id == after.programme_id)
            .values(root_threshold=after.threshold)
        )
    connection.execute(
        insert(key_events_table),
        [
            {
                "programme_id": after.programme_id,
                "sequence": after.sequence,
                "action": action,
                "kid": kid,
                "leaf_index": leaf_index,
            }
        ],
    )


_LATER = key_events_table.alias("later")
# A programme's key-event head: its last key event, or (none yet) its registration. One statement.
_ONE_KEY = Prebuilt(
    select(*key_columns("")).where(
        keys_table.c.programme_id == bindparam("programme_id"), keys_table.c.kid == bindparam("kid")
    )
)
_HEADS = (
    select(
        programmes_table.c.id,
        programmes_table.c.registered_leaf_index,
        key_events_table.c.sequence,
        key_events_table.c.leaf_index,
    )
    .select_from(programmes_table)
    .outerjoin(
        key_events_table,
        and_(
            key_events_table.c.programme_id == programmes_table.c.id,
            key_events_table.c.sequence
            == select(func.max(_LATER.c.sequence))
            .where(_LATER.c.programme_id == programmes_table.c.id)
            .scalar_subquery(),
        ),
    )
    .where(programmes_table.c.id.in_(bindparam("ids", expanding=True)))
)


def heads(connection: Connection, programme_ids: Iterable[str]) -> dict[str, KeyHead]:
    """programme -> the head of its key events (what a standing relied on about its keys)."""
    ids = sorted(set(programme_ids))
    if not ids:
        return {}
    return {
        row.id: KeyHead(
            row.id, row.sequence or 0, row.registered_leaf_index if row.sequence is None else row.leaf_index
        )
        for row in connection.execute(_HEADS, {"ids": ids})
    }
