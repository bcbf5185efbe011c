"""The queries behind procurement checks: one certificate in one statement, thousands of items in a handful.

Every statement is built once, at import, with bind parameters. SQLAlchemy then reuses its compiled form
and its memoized cache key; building the same `select` on every call cost more than running it (a
primary-key join: 135 µs built per call, 46 µs prebuilt, on SQLite; BENCHMARKS.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select

from ecolabel_registry.certificates.repository import current_licence, licences_by_programme
from ecolabel_registry.db.lists import DIALECTS, dicts_among, one_of
from ecolabel_registry.db.models import (
    Category,
    CategoryCode,
    Certificate,
    CertificateProduct,
    KeyEventRow,
    LogEntry,
    LogState,
    Programme,
    ProgrammeKey,
)
from ecolabel_registry.db.raw import Prebuilt
from ecolabel_registry.programmes.keys import key_columns

certificates = Certificate.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
products = CertificateProduct.__table__  # type: ignore[attr-defined]
codes = CategoryCode.__table__  # type: ignore[attr-defined]
categories = Category.__table__  # type: ignore[attr-defined]
entries = LogEntry.__table__  # type: ignore[attr-defined]
keys = ProgrammeKey.__table__  # type: ignore[attr-defined]
state = LogState.__table__  # type: ignore[attr-defined]
programmes = Programme.__table__  # type: ignore[attr-defined]
key_events = KeyEventRow.__table__  # type: ignore[attr-defined]
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
# A single check: the certificate, its stored credential, its signing key and the log head, in one
# statement (each statement is a round trip on PostgreSQL), run on the driver's cursor (`db.raw`), so its
# columns are the plain ones the check reads. The key is an outer join so that a missing key (which the
# schema cannot produce) is reported, not a 404.
_CHECKED = Prebuilt(
    select(
        certificates.c.id,
        certificates.c.programme_id,
        certificates.c.licence_number,
        certificates.c.category_code,
        certificates.c.criteria_version,
        certificates.c.signing_kid,
        certificates.c.valid_from_us,
        certificates.c.valid_until_us,
        certificates.c.integrated_us,
        certificates.c.leaf_index,
        certificates.c.event_count,
        entries.c.document,
        *key_columns("key_"),
        state.c.tree_size.label("head_tree_size"),
        state.c.root_hash.label("head_root_hash"),
        state.c.checkpoint.label("head_checkpoint"),
        # the head of the programme's key events, which the key's state comes from (`verification.evidence`)
        programmes.c.registered_leaf_index.label("programme_leaf_index"),
        select(key_events.c.sequence)
        .where(key_events.c.programme_id == certificates.c.programme_id)
        .order_by(key_events.c.sequence.desc())
        .limit(1)
        .scalar_subquery()
        .label("key_head_sequence"),
        select(key_events.c.leaf_index)
        .where(key_events.c.programme_id == certificates.c.programme_id)
        .order_by(key_events.c.sequence.desc())
        .limit(1)
        .scalar_subquery()
        .label("key_head_leaf_index"),
    )
    .join(entries, entries.c.leaf_index == certificates.c.leaf_index)
    .join(state, state.c.id == 1)
    .join(programmes, programmes.c.id == certificates.c.programme_id)
    .outerjoin(keys, and_(keys.c.programme_id == certificates.c.programme_id, keys.c.kid == certificates.c.signing_kid))
    .where(certificates.c.id == bindparam("id"))
)


def checked_certificate(connection: Connection, certificate_id: str) -> dict[str, Any] | None:
    """The certificate's columns a check reads, with `document`, its key as `key_columns("key_")` (read
    by `programmes.keys.key_record(row, "key_")`) and the log head as `head_tree_size` and `head_checkpoint`. Outside a
    transaction it is one statement on its own, and sees one snapshot."""
    return _CHECKED.first(connection, id=certificate_id)


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
