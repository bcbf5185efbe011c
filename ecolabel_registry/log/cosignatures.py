"""Witness cosignatures of the registry's checkpoints (C2SP tlog-cosignature), stored per tree size.

The worker collects them (`log.witnessing`), keeping only those that verify under the witness's key;
the API serves each checkpoint with every cosignature stored for its size (verifiers ignore the keys
they do not trust, signed-note "Signatures"). The published checkpoint (`GET /log/checkpoint`) is the
newest one a configured witness has cosigned, so a verifier that requires witnesses finds them there
as soon as they have answered; with no witness configured it is the newest checkpoint, as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ecolabel_registry.db.models import LogCosignature
from ecolabel_registry.log import repository, service
from verification.cosignature import CosignerKey
from verification.note import NoteSignature, NoteSigner

cosignatures_table = LogCosignature.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__


@dataclass(frozen=True)
class Published:
    """A checkpoint as the registry publishes it: the log's note with the cosignature lines appended."""

    tree_size: int
    note: str
    cosigned_by: tuple[str, ...]  # witness key names


def store(connection: Connection, tree_size: int, lines: Iterable[tuple[NoteSignature, int]]) -> None:
    """Record verified cosignatures (line, timestamp) of the checkpoint of `tree_size`; repeats are ignored."""
    rows = [
        {
            "tree_size": tree_size,
            "key_name": line.name,
            "key_id": line.key_id,
            "signature": line.signature,
            "timestamp": timestamp,
        }
        for line, timestamp in lines
    ]
    if not rows:
        return
    dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    connection.execute(dialect_insert(cosignatures_table).on_conflict_do_nothing(), rows)


def last_cosigned_size(connection: Connection, key: CosignerKey) -> int:
    """The largest tree size this witness has cosigned for the registry, 0 if none."""
    found = connection.execute(select(func.max(cosignatures_table.c.tree_size)).where(_by(key))).scalar_one_or_none()
    return int(found or 0)


def lines_for(connection: Connection, tree_size: int) -> list[NoteSignature]:
    """Every stored cosignature of the checkpoint of this size, ordered by witness name."""
    rows = connection.execute(
        select(cosignatures_table.c.key_name, cosignatures_table.c.key_id, cosignatures_table.c.signature)
        .where(cosignatures_table.c.tree_size == tree_size)
        .order_by(cosignatures_table.c.key_name, cosignatures_table.c.key_id)
    ).all()
    return [NoteSignature(row.key_name, bytes(row.key_id), bytes(row.signature)) for row in rows]


def published(connection: Connection, signer: NoteSigner, keys: Sequence[CosignerKey]) -> Published:
    """The checkpoint `GET /log/checkpoint` serves: the newest one a configured witness cosigned, else the head."""
    if keys:
        size = connection.execute(
            select(func.max(cosignatures_table.c.tree_size)).where(or_(*(_by(key) for key in keys)))
        ).scalar_one_or_none()
        if size is not None:
            note = connection.execute(
                select(repository.checkpoints_table.c.note).where(repository.checkpoints_table.c.tree_size == size)
            ).scalar_one()
            return with_cosignatures(connection, int(size), note)
    head, note = service.latest_checkpoint(connection, signer)
    return with_cosignatures(connection, head.tree_size, note)


def with_cosignatures(connection: Connection, tree_size: int, note: str) -> Published:
    lines = lines_for(connection, tree_size) if tree_size > 0 else []
    return Published(tree_size, note + "".join(line.to_line() for line in lines), tuple(line.name for line in lines))


def _by(key: CosignerKey) -> ColumnElement[bool]:
    return and_(cosignatures_table.c.key_name == key.name, cosignatures_table.c.key_id == key.key_id)
