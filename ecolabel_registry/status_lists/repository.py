"""Every query of status-list slots: which are taken, who holds them, and the members of one list."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, RowMapping, func, select, tuple_

from ecolabel_registry.db.bulk import insert_rows
from ecolabel_registry.db.models import Certificate, StatusListEntry
from verification.status_list import LIST_SIZE, Slot, StatusPurpose

slots_table = StatusListEntry.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes


def _key(slot: Slot) -> tuple[str, str, int, int]:
    return (slot.programme_id, slot.purpose.value, slot.number, slot.index)


def taken(connection: Connection, slots: Iterable[Slot]) -> dict[Slot, str]:
    """The slots among `slots` that a certificate holds already, with that certificate's id."""
    wanted = {_key(slot): slot for slot in slots}
    if not wanted:
        return {}
    columns = (slots_table.c.programme_id, slots_table.c.purpose, slots_table.c.list_number, slots_table.c.list_index)
    rows = connection.execute(
        select(*columns, slots_table.c.certificate_id).where(tuple_(*columns).in_(sorted(wanted)))
    ).all()
    return {wanted[(row[0], row[1], row[2], row[3])]: row[4] for row in rows}


def insert(connection: Connection, held: Sequence[tuple[Slot, str]]) -> None:
    insert_rows(
        connection,
        slots_table,
        [
            {
                "programme_id": slot.programme_id,
                "purpose": slot.purpose.value,
                "list_number": slot.number,
                "list_index": slot.index,
                "certificate_id": certificate_id,
            }
            for slot, certificate_id in held
        ],
    )


def members(
    connection: Connection, programme_id: str, purpose: StatusPurpose, number: int, tree_size: int | None = None
) -> list[tuple[int, RowMapping]]:
    """Each (index, certificate row) of one list: every member, or those logged at a leaf below `tree_size`."""
    table = Certificate.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
    query = (
        select(slots_table.c.list_index, table)
        .join(table, table.c.id == slots_table.c.certificate_id)
        .where(
            slots_table.c.programme_id == programme_id,
            slots_table.c.purpose == purpose.value,
            slots_table.c.list_number == number,
        )
        .order_by(slots_table.c.list_index)
    )
    if tree_size is not None:
        query = query.where(table.c.leaf_index < tree_size)
    rows = connection.execute(query).mappings()
    return [(row["list_index"], row) for row in rows]


def free_indexes(connection: Connection, programme_id: str, number: int, count: int, start: int = 0) -> list[int]:
    """The `count` lowest indexes from `start` of list `number` that no certificate of the programme holds."""
    held = set(
        connection.execute(
            select(slots_table.c.list_index).where(
                slots_table.c.programme_id == programme_id, slots_table.c.list_number == number
            )
        ).scalars()
    )
    free: list[int] = []
    candidate = start
    while len(free) < count and candidate < LIST_SIZE:
        if candidate not in held:
            free.append(candidate)
        candidate += 1
    return free


def highest_list(connection: Connection, programme_id: str) -> int:
    highest = connection.execute(
        select(func.max(slots_table.c.list_number)).where(slots_table.c.programme_id == programme_id)
    ).scalar_one()
    return int(highest or 0)
