"""The queries behind procurement checks: one certificate in one statement, thousands of items in a handful.

Every statement is built once, at import, with bind parameters. SQLAlchemy then reuses its compiled form
and its memoized cache key; building the same `select` on every call cost more than running it (a
primary-key join: 135 µs built per call, 46 µs prebuilt, on SQLite; BENCHMARKS.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, select

from ecolabel_registry.certificates import at_head
from ecolabel_registry.certificates.repository import current_licence, licences_by_programme
from ecolabel_registry.db.lists import DIALECTS, dicts_among, one_of
from ecolabel_registry.db.models import (
    Category,
    CategoryCode,
    Certificate,
    CertificateProduct,
)
from ecolabel_registry.db.raw import Prebuilt

certificates = Certificate.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
products = CertificateProduct.__table__  # type: ignore[attr-defined]
codes = CategoryCode.__table__  # type: ignore[attr-defined]
categories = Category.__table__  # type: ignore[attr-defined]
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
    certificates.c.markets,
    certificates.c.event_count,
    certificates.c.leaf_index,
)
# A catalogue's certificate rows, thousands per check, are read on the driver's cursor as plain dicts
# (`db.lists.dicts_among`): SQLAlchemy's result rows cost more than reading the rows.
_BY_IDS = {d: Prebuilt(select(*_COLUMNS).where(one_of(certificates.c.id, d))) for d in DIALECTS}
_BY_LICENCES = {d: Prebuilt(select(*_COLUMNS).where(*current_licence(d))) for d in DIALECTS}
_BY_GTINS = {
    d: Prebuilt(
        select(products.c.gtin, products.c.model, *_COLUMNS)
        .join(certificates, certificates.c.id == products.c.certificate_id)
        .where(one_of(products.c.gtin, d), certificates.c.superseded_by.is_(None))
        .order_by(products.c.gtin, products.c.certificate_id)
    )
    for d in DIALECTS
}
_CODES = (
    select(codes.c.programme_id, codes.c.code, codes.c.criteria_version)
    .where(codes.c.scheme == bindparam("scheme"), codes.c.value == bindparam("value"))
    .order_by(codes.c.programme_id, codes.c.code, codes.c.criteria_version)
)


def checked_certificate(connection: Connection, certificate_id: str) -> dict[str, Any] | None:
    """The certificate with everything its standing reads and the log head, in one statement
    (`certificates.at_head.row`: each statement is a round trip on PostgreSQL). Outside a transaction
    it is one statement on its own, and sees one snapshot. The key is an outer join, so that a missing
    key (which the schema cannot produce) is reported, not a 404."""
    return at_head.row(connection, certificate_id)


Row = dict[str, Any]  # a certificate's columns (`_COLUMNS`) by key


def by_ids(connection: Connection, ids: Iterable[str]) -> dict[str, Row]:
    return {row["id"]: row for row in dicts_among(connection, _BY_IDS, ids)}


def current_by_licence(connection: Connection, licences: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Row]:
    """(programme, licence number) -> the row of its current (not superseded) certificate."""
    found: dict[tuple[str, str], Row] = {}
    for programme, numbers in licences_by_programme(licences).items():
        for row in dicts_among(connection, _BY_LICENCES, numbers, programme=programme):
            found[(row["programme_id"], row["licence_number"])] = row
    return found


def by_gtins(connection: Connection, gtins: Iterable[str]) -> dict[str, list[tuple[Row, str | None]]]:
    """GTIN -> [(certificate row, model pattern)] over current (not superseded) certificates, by id."""
    found: dict[str, list[tuple[Row, str | None]]] = defaultdict(list)
    for row in dicts_among(connection, _BY_GTINS, gtins):
        found[row["gtin"]].append((row, row["model"]))
    return found


def categories_for_code(connection: Connection, scheme: str, value: str) -> list[tuple[str, str, str]]:
    """(programme, category, version) whose crosswalk lists this procurement code."""
    rows = connection.execute(_CODES, {"scheme": scheme, "value": value})
    return [(row.programme_id, row.code, row.criteria_version) for row in rows]
