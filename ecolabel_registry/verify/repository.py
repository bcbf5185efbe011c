"""The queries behind eligibility checks: resolve thousands of items with a handful of statements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, RowMapping, select, tuple_

from ecolabel_registry.db.models import Category, CategoryCode, Certificate, CertificateProduct

certificates = Certificate.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
products = CertificateProduct.__table__  # type: ignore[attr-defined]
codes = CategoryCode.__table__  # type: ignore[attr-defined]
categories = Category.__table__  # type: ignore[attr-defined]
_BATCH = 500
_COLUMNS = (
    certificates.c.id,
    certificates.c.programme_id,
    certificates.c.licence_number,
    certificates.c.category_code,
    certificates.c.criteria_version,
    certificates.c.valid_from_us,
    certificates.c.valid_until_us,
    certificates.c.signing_kid,
    certificates.c.integrated_us,
    certificates.c.superseded_by,
    certificates.c.markets,
)


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _BATCH):
        yield values[start : start + _BATCH]


def by_ids(connection: Connection, ids: Iterable[str]) -> dict[str, RowMapping]:
    found: dict[str, RowMapping] = {}
    for chunk in _chunks(sorted(set(ids))):
        for row in connection.execute(select(*_COLUMNS).where(certificates.c.id.in_(chunk))).mappings():
            found[row["id"]] = row
    return found


def current_by_licence(connection: Connection, licences: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for chunk in _chunks(sorted(set(licences))):
        query = select(certificates.c.id, certificates.c.programme_id, certificates.c.licence_number).where(
            tuple_(certificates.c.programme_id, certificates.c.licence_number).in_(chunk),
            certificates.c.superseded_by.is_(None),
        )
        found.update({(row.programme_id, row.licence_number): row.id for row in connection.execute(query)})
    return found


def by_gtins(connection: Connection, gtins: Iterable[str]) -> dict[str, list[tuple[str, str | None]]]:
    """GTIN -> [(certificate id, model pattern)] over current (not superseded) certificates."""
    found: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for chunk in _chunks(sorted(set(gtins))):
        query = (
            select(products.c.gtin, products.c.certificate_id, products.c.model)
            .join(certificates, certificates.c.id == products.c.certificate_id)
            .where(products.c.gtin.in_(chunk), certificates.c.superseded_by.is_(None))
            .order_by(products.c.gtin, products.c.certificate_id)
        )
        for row in connection.execute(query):
            found[row.gtin].append((row.certificate_id, row.model))
    return found


def categories_for_code(connection: Connection, scheme: str, value: str) -> list[tuple[str, str, str]]:
    """(programme, category, version) whose crosswalk lists this procurement code."""
    query = (
        select(codes.c.programme_id, codes.c.code, codes.c.criteria_version)
        .where(codes.c.scheme == scheme, codes.c.value == value)
        .order_by(codes.c.programme_id, codes.c.code, codes.c.criteria_version)
    )
    return [(row.programme_id, row.code, row.criteria_version) for row in connection.execute(query)]
