"""Which certificates cover an organisation or a product on a date, and what that makes them.

Certificates attach to supply-chain parties two ways: to an organisation when the certificate's holder
carries one of its identifiers (same scheme and value: LEI, USCC, VAT …), and to a product when the
certificate lists its GTIN. Standing on the date comes from `verification.standing.judge`, the same
definition every other answer and buyers offline use.

Three outcomes, and only one of them is compliant:
- `certified`: a matching certificate is active on the date;
- `not_certified`: the registry can match and finds no active certificate;
- `unknown`: the registry cannot match (an organisation without any identifier). Unknown is never
  counted as compliant, in any coverage figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row

from ecolabel_registry.certificates.standing import judge_rows
from ecolabel_registry.supply import graph
from verification.leaf import from_microseconds
from verification.status import CertificateStatus


class Certification(StrEnum):
    CERTIFIED = "certified"
    NOT_CERTIFIED = "not_certified"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CertificateOnDate:
    id: str
    programme_id: str
    licence_number: str
    category_code: str
    status: CertificateStatus
    valid_until_us: int  # after renewals and other changes effective by the date
    superseded_by: str | None
    sound: bool = True  # the credential verifies and its key vouches for it (`Standing.reasons` aside from status)

    @property
    def active(self) -> bool:
        return self.sound and self.status is CertificateStatus.ACTIVE


@dataclass
class Coverage:
    """Certificates on one date, by organisation (holder) and by GTIN (product)."""

    by_organisation: dict[str, list[CertificateOnDate]]
    by_gtin: dict[str, list[CertificateOnDate]]

    def of_organisation(self, organisation_id: str, has_identifiers: bool) -> Certification:
        if any(c.active for c in self.by_organisation.get(organisation_id, ())):
            return Certification.CERTIFIED
        return Certification.NOT_CERTIFIED if has_identifiers else Certification.UNKNOWN

    def of_link(self, gtin: str | None, supplier: Certification) -> Certification:
        """A product link is covered by a certificate listing its GTIN, whoever holds it (a distributor
        passes on the maker's licence); a material link by its supplier's own certification. A GTIN is
        itself an identifier, so a product link is never unknown: the registry can always look it up."""
        if gtin is None:
            return supplier
        active = any(c.active for c in self.by_gtin.get(gtin, ()))
        return Certification.CERTIFIED if active else Certification.NOT_CERTIFIED


def coverage_on(
    connection: Connection, identifiers: Mapping[str, Iterable[tuple[str, str]]], gtins: Iterable[str], at_us: int
) -> Coverage:
    """Certificates of these organisations (by their identifiers: organisation -> (scheme, value)…) and of
    these GTINs, each with its status on the date."""
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for organisation_id, held in identifiers.items():
        for key in held:
            holders[key].append(organisation_id)
    holder_rows = [
        row
        for row in graph.certificates_of_holder_values(connection, {value for _, value in holders})
        if (row.scheme, row.value) in holders  # same value under another scheme is another identifier
    ]
    product_rows = graph.unique(graph.certificates_of_products(connection, gtins))
    rows_by_id: dict[str, Row[Any]] = {row.id: row for row in (*holder_rows, *product_rows)}
    found = statuses(connection, rows_by_id, at_us)
    by_organisation: dict[str, list[CertificateOnDate]] = defaultdict(list)
    by_gtin: dict[str, list[CertificateOnDate]] = defaultdict(list)
    for row in holder_rows:
        for organisation_id in holders[(row.scheme, row.value)]:
            if found[row.id] not in by_organisation[organisation_id]:  # two identifiers on one certificate
                by_organisation[organisation_id].append(found[row.id])
    for row in product_rows:
        by_gtin[row.gtin].append(found[row.id])
    return Coverage(dict(by_organisation), dict(by_gtin))


def statuses(connection: Connection, rows: dict[str, Row[Any]], at_us: int) -> dict[str, CertificateOnDate]:
    standings = judge_rows(connection, {cid: row._mapping for cid, row in rows.items()}, at=from_microseconds(at_us))
    found: dict[str, CertificateOnDate] = {}
    for certificate_id, row in rows.items():
        standing = standings[certificate_id]
        found[certificate_id] = CertificateOnDate(
            id=certificate_id,
            programme_id=row.programme_id,
            licence_number=row.licence_number,
            category_code=row.category_code,
            status=standing.status,
            valid_until_us=standing.valid_until_us,
            superseded_by=row.superseded_by,
            sound=standing.status is not CertificateStatus.ACTIVE or standing.valid,
        )
    return found
