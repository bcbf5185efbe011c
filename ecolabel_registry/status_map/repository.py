"""Every query the status map makes, in SQLAlchemy Core (it runs inside every certificate write)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ecolabel_registry.db.bulk import insert_rows
from ecolabel_registry.db.models import Certificate, CertificateEvent, StatusMapNode, StatusMapState
from verification.status_map_tree import MapRow

nodes_table = StatusMapNode.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ on table classes
state_table = StatusMapState.__table__  # type: ignore[attr-defined]
certificates_table = Certificate.__table__  # type: ignore[attr-defined]
events_table = CertificateEvent.__table__  # type: ignore[attr-defined]

_READ_STATE = select(state_table.c.entries, state_table.c.log_size, state_table.c.enabled).where(state_table.c.id == 1)


def encode_position(position: int) -> bytes:
    """``(1 << depth) | prefix`` in its fewest big-endian bytes: unique, since the top bit marks depth."""
    return position.to_bytes((position.bit_length() + 7) // 8, "big")


def load_rows(connection: Connection, positions: Sequence[int]) -> list[MapRow]:
    """The stored rows among `positions` (absent positions are empty subtrees)."""
    if not positions:
        return []
    query = select(nodes_table).where(nodes_table.c.position.in_([encode_position(p) for p in positions]))
    return [
        MapRow(
            int.from_bytes(row.position, "big"),
            bytes(row.hash),
            None if row.leaf_key is None else bytes(row.leaf_key),
            None if row.value_sha256 is None else bytes(row.value_sha256),
        )
        for row in connection.execute(query)
    ]


def _columns(row: MapRow) -> dict[str, bytes | None]:
    return {
        "position": encode_position(row.position),
        "hash": row.hash,
        "leaf_key": row.leaf_key,
        "value_sha256": row.value_sha256,
    }


def replace_rows(connection: Connection, rows: Sequence[MapRow]) -> None:
    """The whole map at once (`enable`): `COPY` on PostgreSQL, in chunks."""
    connection.execute(delete(nodes_table))
    for start in range(0, len(rows), 50_000):
        insert_rows(connection, nodes_table, [_columns(row) for row in rows[start : start + 50_000]])


def write_rows(connection: Connection, rows: Sequence[MapRow]) -> None:
    """Insert or overwrite rows by position (a leaf's position becomes a node's when it splits)."""
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(nodes_table)
    statement = statement.on_conflict_do_update(
        index_elements=[nodes_table.c.position],
        set_={
            "hash": statement.excluded.hash,
            "leaf_key": statement.excluded.leaf_key,
            "value_sha256": statement.excluded.value_sha256,
        },
    )
    connection.execute(statement, [_columns(row) for row in rows])


@dataclass(frozen=True)
class State:
    entries: int
    log_size: int
    enabled: bool


def read_state(connection: Connection) -> State:
    """Writers already hold the log head's lock, which serialises them."""
    entries, log_size, enabled = connection.execute(_READ_STATE).one()
    return State(int(entries), int(log_size), bool(enabled))


def write_state(connection: Connection, entries: int, log_size: int, *, enabled: bool | None = None) -> None:
    values: dict[str, int | bool] = {"entries": entries, "log_size": log_size}
    if enabled is not None:
        values["enabled"] = enabled
    connection.execute(update(state_table).where(state_table.c.id == 1).values(**values))


def certificate_heads(connection: Connection) -> list[tuple[str, int, int, str | None, int | None]]:
    """Every certificate's (id, leaf, event count, latest event's SHA-256 and leaf): the map's input."""
    certificates, events = certificates_table, events_table
    query = select(
        certificates.c.id, certificates.c.leaf_index, certificates.c.event_count, events.c.sha256, events.c.leaf_index
    ).outerjoin(
        events, and_(events.c.certificate_id == certificates.c.id, events.c.sequence == certificates.c.event_count)
    )
    return [(row[0], int(row[1]), int(row[2]), row[3], row[4]) for row in connection.execute(query)]
