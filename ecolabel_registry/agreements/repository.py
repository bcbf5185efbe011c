"""Every agreement query, in SQLAlchemy Core."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, exists, insert, or_, select, update

from ecolabel_registry.db.lists import among, batches
from ecolabel_registry.db.models import AgreementEventRow, AgreementParty, AgreementRow, LogEntry

agreements = AgreementRow.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
parties = AgreementParty.__table__  # type: ignore[attr-defined]
events = AgreementEventRow.__table__  # type: ignore[attr-defined]
entries = LogEntry.__table__  # type: ignore[attr-defined]


def get(connection: Connection, agreement_id: str) -> RowMapping | None:
    """The agreement's index row with its exact signed bytes (`document`)."""
    return connection.execute(_with_document().where(agreements.c.id == agreement_id)).mappings().first()


def many(connection: Connection, ids: Sequence[str]) -> list[RowMapping]:
    found: list[RowMapping] = []
    for batch in batches(connection, ids):  # db.lists: sorted batches on SQLite, one array on PostgreSQL
        query = _with_document().where(among(connection, agreements.c.id, batch)).order_by(agreements.c.id)
        found.extend(connection.execute(query).mappings())
    return found


def every(connection: Connection) -> list[RowMapping]:
    """Every agreement with its document, in id order (for `recognition.compiled`)."""
    return list(connection.execute(_with_document().order_by(agreements.c.id)).mappings())


def search(connection: Connection, party: str | None, after: str | None, limit: int) -> list[RowMapping]:
    """A page of agreements ordered by id, optionally only those `party` is a party to."""
    query = _with_document().order_by(agreements.c.id).limit(limit)
    if after is not None:
        query = query.where(agreements.c.id > after)
    if party is not None:
        query = query.where(_has_party(party))
    return list(connection.execute(query).mappings())


def relevant_to(connection: Connection, programme: str) -> list[str]:
    """Ids of the agreements a resolution starting at `programme` can use.

    Its first hop is an agreement `programme` is a party to; any later hop needs an agreement that
    allows onward recognition (verification.recognition), so nothing else can matter.
    """
    query = (
        select(agreements.c.id)
        .where(or_(_has_party(programme), agreements.c.onward_recognition.is_(True)))
        .order_by(agreements.c.id)
    )
    return list(connection.execute(query).scalars())


def parties_of(connection: Connection, ids: Sequence[str]) -> dict[str, list[RowMapping]]:
    """Party rows (with the signature's JWS as `document`, when there is a separate one) per agreement."""
    found: dict[str, list[RowMapping]] = defaultdict(list)
    for batch in batches(connection, ids):
        query = (
            select(parties, entries.c.document)
            .outerjoin(entries, entries.c.leaf_index == parties.c.leaf_index)
            .where(among(connection, parties.c.agreement_id, batch))
            .order_by(parties.c.agreement_id, parties.c.programme_id)
        )
        for row in connection.execute(query).mappings():
            found[row["agreement_id"]].append(row)
    return found


def events_of(connection: Connection, ids: Sequence[str]) -> dict[str, list[RowMapping]]:
    found: dict[str, list[RowMapping]] = defaultdict(list)
    for batch in batches(connection, ids):
        query = (
            select(events, entries.c.document)
            .join(entries, entries.c.leaf_index == events.c.leaf_index)
            .where(among(connection, events.c.agreement_id, batch))
            .order_by(events.c.agreement_id, events.c.sequence)
        )
        for row in connection.execute(query).mappings():
            found[row["agreement_id"]].append(row)
    return found


def insert_agreement(connection: Connection, row: dict[str, Any], party_rows: list[dict[str, Any]]) -> None:
    connection.execute(insert(agreements), [row])
    connection.execute(insert(parties), party_rows)


def record_signature(connection: Connection, agreement_id: str, programme_id: str, values: dict[str, Any]) -> bool:
    """Fill in a party's signature; False if it had signed meanwhile (never under the log lock)."""
    moved = connection.execute(
        update(parties)
        .where(
            parties.c.agreement_id == agreement_id,
            parties.c.programme_id == programme_id,
            parties.c.signed_us.is_(None),
        )
        .values(**values)
    )
    return moved.rowcount == 1


def append_event(connection: Connection, row: dict[str, Any], *, expected_count: int) -> bool:
    """Record an event and move the chain head; False if the head moved meanwhile (never under the lock)."""
    moved = connection.execute(
        update(agreements)
        .where(agreements.c.id == row["agreement_id"], agreements.c.event_count == expected_count)
        .values(event_count=expected_count + 1, last_event_sha256=row["sha256"])
    )
    if moved.rowcount != 1:
        return False
    connection.execute(insert(events), [row])
    return True


def _with_document() -> Any:
    return select(agreements, entries.c.document).join(entries, entries.c.leaf_index == agreements.c.leaf_index)


def _has_party(programme: str) -> Any:
    return exists().where(parties.c.agreement_id == agreements.c.id, parties.c.programme_id == programme)
