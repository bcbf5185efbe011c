"""The few reads the demo loader needs to find out what a database already holds (SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from ecolabel_registry.certificates.repository import certificates
from ecolabel_registry.log import repository as log
from ecolabel_registry.supply.repository import identifiers, organisations


@dataclass(frozen=True)
class Registered:
    id: str
    event_count: int
    last_event_sha256: str | None


def certificates_of(connection: Connection, programmes: Iterable[str]) -> dict[tuple[str, str], Registered]:
    """(programme, licence number) -> the current certificate, for every licence of these programmes."""
    query = select(
        certificates.c.programme_id,
        certificates.c.licence_number,
        certificates.c.id,
        certificates.c.event_count,
        certificates.c.last_event_sha256,
    ).where(certificates.c.programme_id.in_(sorted(set(programmes))), certificates.c.superseded_by.is_(None))
    return {
        (row.programme_id, row.licence_number): Registered(row.id, row.event_count, row.last_event_sha256)
        for row in connection.execute(query)
    }


def tree_size(connection: Connection) -> int:
    return log.read_head(connection).tree_size


def organisations_without_identifiers(connection: Connection) -> dict[str, str]:
    """English name -> id of the organisations registered without any identifier (found only by name)."""
    query = select(organisations.c.id, organisations.c.names).where(
        organisations.c.id.not_in(select(identifiers.c.organisation_id))
    )
    return {row.names.get("en", ""): row.id for row in connection.execute(query)}


def registry_identity(connection: Connection) -> str:
    """The hex hash of leaf 0: it commits to the first document and its log time, so no two registries share it."""
    if log.read_head(connection).tree_size == 0:
        raise LookupError("the log is empty")
    return log.fetch_entries(connection, 0, 1)[0].leaf_hash.hex()
