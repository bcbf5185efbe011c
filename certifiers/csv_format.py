"""The licence CSV format: one row per licensed product, rows sharing a licence_number form one licence.

Each licence becomes a JSON record (the same shape a JSON Lines file holds, see `certifiers.records`),
and remembers which row each product came from, so that an error is reported at the row to fix.
The format is documented for users in certifiers/README.md; keep the two in step.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from certifiers.issues import RecordIssue, RecordPath, dotted

REQUIRED_COLUMNS = (
    "licence_number",
    "holder_name",
    "holder_country",
    "category_code",
    "criteria_version",
    "valid_from",
    "valid_until",
    "product_name",
)
# Holder identifier columns and the scheme each one holds (verification.identifiers.IdentifierScheme).
IDENTIFIER_COLUMNS = {
    "holder_lei": "LEI",
    "holder_uscc": "USCC",
    "holder_vat": "VAT",
    "holder_gln": "GLN",
    "holder_duns": "DUNS",
    "holder_osid": "OSID",
    "holder_national": "NATIONAL",
}
OPTIONAL_COLUMNS = (
    "markets",
    "register_url",
    "pdf_sha256",
    "supersedes",
    "brand",
    "model",
    "gtin",
    *IDENTIFIER_COLUMNS,
)
PRODUCT_COLUMNS = frozenset({"product_name", "brand", "model", "gtin"})
KNOWN_COLUMNS = frozenset(REQUIRED_COLUMNS) | frozenset(OPTIONAL_COLUMNS)
MARKET_SEPARATOR = ";"

_PRODUCT_FIELDS = {"name": "product_name", "brand": "brand", "model": "model", "gtin": "gtin"}
_LICENCE_FIELDS: dict[RecordPath, str] = {
    ("licenceNumber",): "licence_number",
    ("holder", "name"): "holder_name",
    ("holder", "country"): "holder_country",
    ("category", "code"): "category_code",
    ("category", "criteriaVersion"): "criteria_version",
    ("validFrom",): "valid_from",
    ("validUntil",): "valid_until",
    ("markets",): "markets",
    ("evidence", "registerUrl"): "register_url",
    ("evidence", "documentSha256"): "pdf_sha256",
    ("supersedes",): "supersedes",
    # A model-level error of the credential: the only one is "validUntil must be later than validFrom".
    (): "valid_until",
}


@dataclass(frozen=True)
class CsvLicence:
    licence_number: str
    rows: tuple[int, ...]
    record: dict[str, Any]
    product_rows: tuple[int, ...]
    identifier_columns: tuple[str, ...]

    def locate(self, path: RecordPath) -> tuple[int, str]:
        """The row and column that a problem at `path` of the record comes from."""
        if len(path) >= 2 and path[0] == "products" and isinstance(path[1], int):
            column = _PRODUCT_FIELDS.get(str(path[2])) if len(path) > 2 else None
            return self.product_rows[path[1]], column or "product"
        if len(path) >= 3 and path[:2] == ("holder", "identifiers") and isinstance(path[2], int):
            return self.rows[0], self.identifier_columns[path[2]]
        for length in range(len(path), -1, -1):
            column = _LICENCE_FIELDS.get(path[:length])
            if column is not None and (length or not path):
                return self.rows[0], column
        return self.rows[0], dotted(path)


@dataclass
class _Group:
    first_row: int
    cells: dict[str, str]
    rows: list[int]
    products: list[tuple[int, dict[str, str]]]


def parse_csv(lines: Iterable[str]) -> tuple[list[CsvLicence], list[RecordIssue]]:
    """Group rows into licences; structural problems (columns, empty cells, disagreeing rows) are issues."""
    reader = csv.reader(lines)
    header = [name.strip() for name in next(reader, [])]
    issues = _header_issues(header)
    if issues:
        return [], issues
    groups: dict[str, _Group] = {}
    # Rows are numbered as a spreadsheet shows them: the header is row 1, even if a cell spans lines.
    for row_number, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue  # blank lines, typically at the end of an export
        if len(values) != len(header):
            issues.append(RecordIssue(f"has {len(values)} cells, the header has {len(header)}", row_number))
            continue
        cells = {name: value.strip() for name, value in zip(header, values, strict=True)}
        # A later row of a licence only adds a product: its licence-level cells may be left empty.
        continues = cells["licence_number"] in groups
        required = [c for c in REQUIRED_COLUMNS if not continues or c in PRODUCT_COLUMNS]
        missing = [name for name in required if not cells[name]]
        if missing:
            issues.extend(
                RecordIssue("is empty", row_number, name, cells["licence_number"] or None) for name in missing
            )
            continue
        issues.extend(_add_row(groups, row_number, cells))
    return [_licence(number, group) for number, group in groups.items()], issues


def _header_issues(header: list[str]) -> list[RecordIssue]:
    if not header:
        return [RecordIssue("the file is empty; the first row must name the columns", 1)]
    issues = [RecordIssue(f"unknown column {name!r}", 1) for name in header if name not in KNOWN_COLUMNS]
    issues += [
        RecordIssue(f"required column {name!r} is missing", 1) for name in REQUIRED_COLUMNS if name not in header
    ]
    repeated = sorted({name for name in header if header.count(name) > 1})
    issues += [RecordIssue(f"column {name!r} appears more than once", 1) for name in repeated]
    return issues


def _add_row(groups: dict[str, _Group], row_number: int, cells: dict[str, str]) -> list[RecordIssue]:
    number = cells["licence_number"]
    product = {name: cells.get(name, "") for name in PRODUCT_COLUMNS}
    group = groups.get(number)
    if group is None:
        groups[number] = _Group(row_number, cells, [row_number], [(row_number, product)])
        return []
    # A later row of the same licence adds a product; its licence cells may repeat the first row's or be empty.
    issues = [
        RecordIssue(
            f"is {value!r} but row {group.first_row} of this licence says {group.cells.get(name)!r}",
            row_number,
            name,
            number,
        )
        for name, value in cells.items()
        if name not in PRODUCT_COLUMNS and value and value != group.cells.get(name)
    ]
    group.rows.append(row_number)
    group.products.append((row_number, product))
    return issues


def _licence(number: str, group: _Group) -> CsvLicence:
    cells = group.cells
    identifier_columns = tuple(column for column in IDENTIFIER_COLUMNS if cells.get(column))
    record: dict[str, Any] = {
        "licenceNumber": number,
        "holder": {
            "name": cells["holder_name"],
            "country": cells["holder_country"],
            "identifiers": [{"scheme": IDENTIFIER_COLUMNS[c], "value": cells[c]} for c in identifier_columns],
        },
        "products": [_product(product) for _, product in group.products],
        "category": {"code": cells["category_code"], "criteriaVersion": cells["criteria_version"]},
        "markets": [m.strip() for m in cells.get("markets", "").split(MARKET_SEPARATOR) if m.strip()],
        "validFrom": cells["valid_from"],
        "validUntil": cells["valid_until"],
    }
    evidence = {"registerUrl": cells.get("register_url"), "documentSha256": cells.get("pdf_sha256")}
    if any(evidence.values()):
        record["evidence"] = {key: value for key, value in evidence.items() if value}
    if cells.get("supersedes"):
        record["supersedes"] = cells["supersedes"]
    return CsvLicence(
        licence_number=number,
        rows=tuple(group.rows),
        record=record,
        product_rows=tuple(row for row, _ in group.products),
        identifier_columns=identifier_columns,
    )


def _product(cells: dict[str, str]) -> dict[str, str]:
    product = {"name": cells["product_name"]}
    product.update(
        {field: cells[column] for field, column in _PRODUCT_FIELDS.items() if field != "name" and cells[column]}
    )
    return product
