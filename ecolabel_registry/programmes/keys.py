"""Programme keys as `verification.keys.KeyRecord`s, read in bulk, and key events that change them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, RowMapping, func, insert, select, tuple_, update

from ecolabel_registry.db.models import KeyEventRow, ProgrammeKey
from verification.keys import KeyRecord

keys_table = ProgrammeKey.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
key_events_table = KeyEventRow.__table__  # type: ignore[attr-defined]


def load(connection: Connection, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], KeyRecord]:
    """Key records for (programme_id, kid) pairs; absent pairs are simply missing from the result."""
    pairs = sorted(set(wanted))
    if not pairs:
        return {}
    rows = connection.execute(
        select(keys_table).where(tuple_(keys_table.c.programme_id, keys_table.c.kid).in_(pairs))
    ).mappings()
    return {(row["programme_id"], row["kid"]): _record(row) for row in rows}


def of_programme(connection: Connection, programme_id: str) -> list[KeyRecord]:
    rows = connection.execute(
        select(keys_table)
        .where(keys_table.c.programme_id == programme_id)
        .order_by(keys_table.c.added_us, keys_table.c.kid)
    ).mappings()
    return [_record(row) for row in rows]


def _record(row: RowMapping) -> KeyRecord:
    return KeyRecord(
        programme_id=row["programme_id"],
        kid=row["kid"],
        public_key=bytes(row["public_key"]),
        added_us=row["added_us"],
        ended_us=row["ended_us"],
        compromised_since_us=row["compromised_since_us"],
    )


def key_event_count(connection: Connection, programme_id: str) -> int:
    count: int = connection.execute(
        select(func.count()).select_from(key_events_table).where(key_events_table.c.programme_id == programme_id)
    ).scalar_one()
    return count


def add_key(connection: Connection, record: KeyRecord, leaf_index: int) -> None:
    connection.execute(
        insert(keys_table),
        [
            {
                "programme_id": record.programme_id,
                "kid": record.kid,
                "public_key": record.public_key,
                "added_us": record.added_us,
                "added_leaf_index": leaf_index,
            }
        ],
    )


def end_key(connection: Connection, record: KeyRecord) -> None:
    connection.execute(
        update(keys_table)
        .where(keys_table.c.programme_id == record.programme_id, keys_table.c.kid == record.kid)
        .values(ended_us=record.ended_us, compromised_since_us=record.compromised_since_us)
    )


def record_event(connection: Connection, programme_id: str, *, sequence: int, action: str, kid: str, leaf: int) -> None:
    connection.execute(
        insert(key_events_table),
        [{"programme_id": programme_id, "sequence": sequence, "action": action, "kid": kid, "leaf_index": leaf}],
    )
