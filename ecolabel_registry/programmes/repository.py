"""Every programme query, in SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from ecolabel_registry.db.models import Programme, ProgrammeKey

programmes_table = Programme.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
keys_table = ProgrammeKey.__table__  # type: ignore[attr-defined]


def exists(connection: Connection, programme_id: str) -> bool:
    found = connection.execute(select(programmes_table.c.id).where(programmes_table.c.id == programme_id)).first()
    return found is not None


def existing(connection: Connection, programme_ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(programme_ids))
    if not wanted:
        return set()
    rows = connection.execute(select(programmes_table.c.id).where(programmes_table.c.id.in_(wanted)))
    return {row.id for row in rows}


def insert_programme(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(insert(programmes_table), [values])


def get(connection: Connection, programme_id: str) -> Row[Any] | None:
    return connection.execute(select(programmes_table).where(programmes_table.c.id == programme_id)).first()


def page(connection: Connection, after: str | None, limit: int) -> list[Row[Any]]:
    query = select(programmes_table).order_by(programmes_table.c.id).limit(limit)
    if after is not None:
        query = query.where(programmes_table.c.id > after)
    return list(connection.execute(query))
