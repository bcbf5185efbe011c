"""Test data for the certifier toolkit: licence CSV rows and JSON records with valid identifiers."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from stdnum import ean

from certifiers.csv_format import IDENTIFIER_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS

COLUMNS = [
    *REQUIRED_COLUMNS,
    *(c for c in OPTIONAL_COLUMNS if c not in IDENTIFIER_COLUMNS),
    "holder_lei",
    "holder_uscc",
]
LEI = "5493001KJTIIGC8Y1R12"
USCC = "91110000600037341L"
CATEGORY = ("HJ 2536", "2016")


def gtin(number: int) -> str:
    """A GTIN-13 with a correct GS1 check digit, unique per number."""
    body = f"690{number:09d}"
    return body + ean.calc_check_digit(body)


def row(licence: str, product: int, **overrides: str) -> dict[str, str]:
    values = {
        "licence_number": licence,
        "holder_name": f"Holder of {licence}",
        "holder_country": "CN",
        "holder_lei": "",
        "holder_uscc": USCC,
        "category_code": CATEGORY[0],
        "criteria_version": CATEGORY[1],
        "valid_from": "2026-01-01",
        "valid_until": "2028-12-31",
        "markets": "CN;HK",
        "product_name": f"Product {product}",
        "brand": "Acme",
        "model": f"X-{product}",
        "gtin": gtin(product),
        "register_url": "https://example.org/licences/" + licence,
        "pdf_sha256": "ab" * 32,
        "supersedes": "",
    }
    values.update(overrides)
    return values


def licence_rows(count: int, *, prefix: str = "CEL-", products_every: int = 7) -> list[dict[str, str]]:
    """`count` licences; every `products_every`-th one has three products (three rows)."""
    rows = []
    product = 0
    for number in range(1, count + 1):
        licence = f"{prefix}{number:05d}"
        for _ in range(3 if number % products_every == 0 else 1):
            product += 1
            rows.append(row(licence, product))
    return rows


def write_csv(path: Path, rows: Iterable[Mapping[str, str]], columns: list[str] | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns or COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def json_record(licence: str = "CEL-J-0001", **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "programme": "cn-cel",
        "licenceNumber": licence,
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2028-12-31T00:00:00+08:00",
        "holder": {
            "name": "Example Paper Co.",
            "country": "CN",
            "identifiers": [{"scheme": "USCC", "value": USCC}, {"scheme": "LEI", "value": LEI}],
        },
        "products": [{"name": "Copy paper A4", "brand": "Acme", "model": "A4-80", "gtin": gtin(1)}],
        "category": {"code": CATEGORY[0], "criteriaVersion": CATEGORY[1]},
        "markets": ["CN"],
        "productionSites": [{"name": "Mill 1", "country": "CN"}],
        "evidence": {"registerUrl": "https://example.org/l/1", "documentSha256": "cd" * 32},
    }
    record.update(overrides)
    return record
