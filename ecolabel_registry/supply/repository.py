"""Queries for organisations, facilities, products, tokens, auditor grants and document access, in Core.

Links and the graph queries live in `link_repository` and `graph`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, tuple_, update

from ecolabel_registry.db.lists import among, batches
from ecolabel_registry.db.models import (
    AuditorGrant,
    Facility,
    LogEntry,
    Organisation,
    OrganisationIdentifier,
    OrganisationToken,
    SupplyDocument,
    SupplyProduct,
)

organisations = Organisation.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
identifiers = OrganisationIdentifier.__table__  # type: ignore[attr-defined]
facilities = Facility.__table__  # type: ignore[attr-defined]
products = SupplyProduct.__table__  # type: ignore[attr-defined]
tokens = OrganisationToken.__table__  # type: ignore[attr-defined]
grants = AuditorGrant.__table__  # type: ignore[attr-defined]
documents = SupplyDocument.__table__  # type: ignore[attr-defined]
entries = LogEntry.__table__  # type: ignore[attr-defined]
# --- organisations -------------------------------------------------------------------------------------


def insert_organisation(connection: Connection, row: dict[str, Any], identifier_rows: list[dict[str, Any]]) -> None:
    connection.execute(insert(organisations), [row])
    if identifier_rows:
        connection.execute(insert(identifiers), identifier_rows)


def identifiers_taken(connection: Connection, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(scheme, value) -> the organisation that already holds it."""
    found: dict[tuple[str, str], str] = {}
    for batch in batches(connection, pairs):
        rows = connection.execute(
            select(identifiers.c.scheme, identifiers.c.value, identifiers.c.organisation_id).where(
                tuple_(identifiers.c.scheme, identifiers.c.value).in_(batch)
            )
        )
        found.update({(row.scheme, row.value): row.organisation_id for row in rows})
    return found


def organisation(connection: Connection, organisation_id: str) -> RowMapping | None:
    return connection.execute(select(organisations).where(organisations.c.id == organisation_id)).mappings().first()


def organisations_by_id(connection: Connection, ids: Iterable[str]) -> dict[str, RowMapping]:
    found: dict[str, RowMapping] = {}
    for batch in batches(connection, ids):
        rows = connection.execute(select(organisations).where(among(connection, organisations.c.id, batch))).mappings()
        found.update({row["id"]: row for row in rows})
    return found


def organisations_with_identifiers(
    connection: Connection, ids: Iterable[str]
) -> tuple[dict[str, RowMapping], dict[str, list[tuple[str, str]]]]:
    """`organisations_by_id` and `identifiers_of` in one round trip (an outer join), for chain answers."""
    found: dict[str, RowMapping] = {}
    held: dict[str, list[tuple[str, str]]] = defaultdict(list)
    query = (
        select(organisations, identifiers.c.scheme, identifiers.c.value)
        .outerjoin(identifiers, identifiers.c.organisation_id == organisations.c.id)
        .order_by(organisations.c.id, identifiers.c.scheme, identifiers.c.value)
    )
    for batch in batches(connection, ids):
        for row in connection.execute(query.where(among(connection, organisations.c.id, batch))).mappings():
            found.setdefault(row["id"], row)
            if row["scheme"] is not None:
                held[row["id"]].append((row["scheme"], row["value"]))
    return found, in_code_point_order(held)


def identifiers_of(connection: Connection, ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for batch in batches(connection, ids):
        rows = connection.execute(
            select(identifiers.c.organisation_id, identifiers.c.scheme, identifiers.c.value)
            .where(among(connection, identifiers.c.organisation_id, batch))
            .order_by(identifiers.c.organisation_id, identifiers.c.scheme, identifiers.c.value)
        )
        for row in rows:
            found[row.organisation_id].append((row.scheme, row.value))
    return in_code_point_order(found)


def in_code_point_order(held: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
    """Identifiers by scheme then value in code-point order, as every answer lists them: the database's
    ORDER BY follows its collation (on PostgreSQL possibly a linguistic one), so the order is settled here."""
    for pairs in held.values():
        pairs.sort()
    return held


# --- facilities and products ---------------------------------------------------------------------------


def insert_facility(connection: Connection, row: dict[str, Any]) -> None:
    connection.execute(insert(facilities), [row])


def facility(connection: Connection, facility_id: str) -> RowMapping | None:
    return connection.execute(select(facilities).where(facilities.c.id == facility_id)).mappings().first()


def facility_by_gln(connection: Connection, gln: str) -> RowMapping | None:
    return connection.execute(select(facilities).where(facilities.c.gln == gln)).mappings().first()


def facilities_by_id(connection: Connection, ids: Iterable[str]) -> dict[str, RowMapping]:
    found: dict[str, RowMapping] = {}
    for batch in batches(connection, ids):
        rows = connection.execute(select(facilities).where(among(connection, facilities.c.id, batch))).mappings()
        found.update({row["id"]: row for row in rows})
    return found


def facilities_of(connection: Connection, organisation_id: str) -> list[RowMapping]:
    query = select(facilities).where(facilities.c.organisation_id == organisation_id).order_by(facilities.c.id)
    return list(connection.execute(query).mappings())


def insert_product(connection: Connection, row: dict[str, Any]) -> None:
    connection.execute(insert(products), [row])


def product(connection: Connection, product_id: str) -> RowMapping | None:
    return connection.execute(select(products).where(products.c.id == product_id)).mappings().first()


def products_by_gtin(connection: Connection, gtins: Iterable[str]) -> dict[str, RowMapping]:
    found: dict[str, RowMapping] = {}
    for batch in batches(connection, gtins):
        rows = connection.execute(select(products).where(among(connection, products.c.gtin, batch))).mappings()
        found.update({row["gtin"]: row for row in rows})
    return found


def products_of(connection: Connection, organisation_id: str) -> list[RowMapping]:
    query = select(products).where(products.c.organisation_id == organisation_id).order_by(products.c.gtin)
    return list(connection.execute(query).mappings())


# --- tokens and grants ---------------------------------------------------------------------------------


def insert_token(connection: Connection, row: dict[str, Any]) -> None:
    connection.execute(insert(tokens), [row])


def token(connection: Connection, token_id: str) -> RowMapping | None:
    return connection.execute(select(tokens).where(tokens.c.id == token_id)).mappings().first()


def revoke_token(connection: Connection, token_id: str, revoked_us: int) -> None:
    connection.execute(update(tokens).where(tokens.c.id == token_id).values(revoked_us=revoked_us))


def insert_grant(connection: Connection, row: dict[str, Any]) -> None:
    connection.execute(insert(grants), [row])


def grant(connection: Connection, grant_id: str) -> RowMapping | None:
    return connection.execute(select(grants).where(grants.c.id == grant_id)).mappings().first()


def grants_of(connection: Connection, organisation_id: str) -> list[RowMapping]:
    query = select(grants).where(grants.c.organisation_id == organisation_id).order_by(grants.c.valid_from_us)
    return list(connection.execute(query).mappings())


def revoke_grant(connection: Connection, grant_id: str, revoked_us: int) -> None:
    connection.execute(update(grants).where(grants.c.id == grant_id).values(revoked_us=revoked_us))


def _active(now_us: int) -> Any:
    return (grants.c.valid_from_us <= now_us) & (grants.c.valid_until_us > now_us) & grants.c.revoked_us.is_(None)


def grantors_of(connection: Connection, auditor_id: str, now_us: int, organisation_id: str | None = None) -> set[str]:
    """The organisations whose chains `auditor_id` may read at `now_us` (optionally: only this one)."""
    query = select(grants.c.organisation_id).where(grants.c.auditor_id == auditor_id, _active(now_us))
    if organisation_id is not None:
        query = query.where(grants.c.organisation_id == organisation_id)
    return set(connection.execute(query).scalars())


def active_grant_to(connection: Connection, organisation_id: str, auditor_id: str, now_us: int) -> str | None:
    query = select(grants.c.id).where(
        grants.c.organisation_id == organisation_id, grants.c.auditor_id == auditor_id, _active(now_us)
    )
    return connection.execute(query.limit(1)).scalar_one_or_none()


# --- documents -----------------------------------------------------------------------------------------


def insert_document(
    connection: Connection, leaf_index: int, action: str, *, organisation_id: str, subject_id: str, party_id: str | None
) -> None:
    connection.execute(
        insert(documents),
        [
            {
                "leaf_index": leaf_index,
                "action": action,
                "organisation_id": organisation_id,
                "party_id": party_id,
                "subject_id": subject_id,
            }
        ],
    )


def document(connection: Connection, leaf_index: int) -> RowMapping | None:
    query = (
        select(documents, entries.c.document, entries.c.document_sha256)
        .join(entries, entries.c.leaf_index == documents.c.leaf_index)
        .where(documents.c.leaf_index == leaf_index)
    )
    return connection.execute(query).mappings().first()


def documents_about(connection: Connection, subject_ids: Iterable[str]) -> list[RowMapping]:
    """Every logged document about these subjects (links, organisations …), with its exact bytes."""
    found: list[RowMapping] = []
    for batch in batches(connection, subject_ids):
        query = (
            select(documents, entries.c.document)
            .join(entries, entries.c.leaf_index == documents.c.leaf_index)
            .where(among(connection, documents.c.subject_id, batch))
            .order_by(documents.c.leaf_index)
        )
        found.extend(connection.execute(query).mappings())
    return sorted(found, key=lambda row: row["leaf_index"])
