"""Catalogue files for eligibility checks: CSV in, results CSV out.

Input columns (header row, any order): `ref` (your line id), and per line exactly one of
`certificate_id`; `programme` + `licence_number`; or `gtin` (with an optional `model`). Example:

    ref,certificate_id,programme,licence_number,gtin,model
    A-1,,eu-ecolabel,IT/044/005,,
    A-2,,,,4006381333931,VW-100
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from verification.errors import MalformedInput
from verification.spreadsheet import spreadsheet_row

COLUMNS = ("ref", "certificate_id", "programme", "licence_number", "gtin", "model")
RESULT_COLUMNS = ("ref", "eligible", "reasons", "certificates", "accepted_via", "path", "conditions")


def read_catalogue(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or ()
        if len(header) == 1 and ";" in header[0]:
            raise MalformedInput(
                "BAD_CATALOGUE", "the columns are separated by semicolons; save the file as comma-separated CSV"
            )
        unknown = set(header) - set(COLUMNS)
        if unknown:
            raise MalformedInput("BAD_CATALOGUE", f"unknown columns {sorted(unknown)}; expected some of {COLUMNS}")
        items = []
        for row_number, row in enumerate(reader, start=2):
            item = {key: value.strip() for key, value in row.items() if key and value and value.strip()}
            if not item.keys() & {"certificate_id", "licence_number", "gtin"}:
                raise MalformedInput(
                    "BAD_CATALOGUE",
                    f"row {row_number} names no certificate, licence or GTIN; fill in certificate_id, "
                    "programme and licence_number, or gtin",
                )
            item.setdefault("ref", str(row_number))
            items.append(item)
    return items


def chunks(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def write_results(path: Path, results: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows(result_rows(results))


def result_rows(results: Iterable[dict[str, Any]]) -> Iterator[list[object]]:
    """The results CSV, header first: one row per catalogue line, every cell safe for spreadsheets.

    Refs, conditions and the rest come from catalogues and signed agreements written by others, so
    every cell goes through `spreadsheet_cell`.
    """
    yield list(RESULT_COLUMNS)
    for result in results:
        certificates = result["certificates"]
        winners = [c for c in certificates if c["eligible"]] or certificates
        yield spreadsheet_row(
            [
                str(result.get("ref", "")),
                "yes" if result["eligible"] else "no",
                ";".join(result["reasons"]),
                ";".join(c["id"] for c in certificates),
                ";".join(sorted({str(c["accepted_via"]) for c in winners if c["accepted_via"]})),
                ";".join(str(step.get("agreement", "")) for c in winners for step in c["path"]),
                ";".join(str(condition) for c in winners for condition in c["conditions"]),
            ]
        )
