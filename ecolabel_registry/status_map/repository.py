"""Every query the status map makes, in SQLAlchemy Core (it runs inside every certificate write)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ecolabel_registry.db.models import StatusMapNode, StatusMapState
from verification.status_map_tree import MapRow

nodes_table = StatusMapNode.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ on table classes
state_table = StatusMapState.__table__  # type: ignore[attr-defined]

_READ_STATE = select(state_table.c.entries, state_table.c.log_size).where(state_table.c.id == 1)


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
    connection.execute(
        statement,
        [
            {
                "position": encode_position(row.position),
                "hash": row.hash,
                "leaf_key": row.leaf_key,
                "value_sha256": row.value_sha256,
            }
            for row in rows
        ],
    )


def read_state(connection: Connection) -> tuple[int, int]:
    """(entries, log_size). Writers already hold the log head's lock, which serialises them."""
    entries, log_size = connection.execute(_READ_STATE).one()
    return int(entries), int(log_size)


def write_state(connection: Connection, entries: int, log_size: int) -> None:
    connection.execute(update(state_table).where(state_table.c.id == 1).values(entries=entries, log_size=log_size))
