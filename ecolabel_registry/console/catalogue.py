"""Catalogue CSV in, results CSV out, in the same columns as `ecolabel-verify eligibility` reads and writes.

The column names come from `verification.client.catalogue`, so a file that works with the command-line tool
works here, and the results a person downloads line up with the tool's. Uploaded text is checked row
by row into the API's own `CatalogueLine` model, and every problem names its row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from ecolabel_registry.procurement.schemas import CatalogueLine
from verification.client.catalogue import COLUMNS, result_rows

MAX_ITEMS = 10_000  # the API's limit for one eligibility request (`EligibilityRequest.items`)


class CatalogueError(ValueError):
    """A catalogue that cannot be read; `key` names the translated message, `values` fill it in."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # spreadsheets often save UTF-8 with a byte-order mark
    except UnicodeDecodeError as exc:
        raise CatalogueError("catalogue.error.encoding") from exc


def parse(text: str) -> list[CatalogueLine]:
    reader = csv.DictReader(io.StringIO(text.strip()))
    fieldnames = [name.strip() for name in reader.fieldnames or ()]
    unknown = sorted(set(fieldnames) - set(COLUMNS))
    if not fieldnames or unknown:
        raise CatalogueError("catalogue.error.columns", unknown=", ".join(unknown), expected=", ".join(COLUMNS))
    reader.fieldnames = fieldnames
    items: list[CatalogueLine] = []
    for row_number, row in enumerate(reader, start=2):
        if len(items) == MAX_ITEMS:
            raise CatalogueError("catalogue.error.too_many", limit=MAX_ITEMS)
        values = {k: v.strip() for k, v in row.items() if k and isinstance(v, str) and v.strip()}
        if not values:
            continue  # a blank line
        values.setdefault("ref", str(row_number))
        try:
            items.append(CatalogueLine.model_validate(values))
        except ValidationError as exc:
            message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise CatalogueError("catalogue.error.row", row=row_number, message=message) from exc
    if not items:
        raise CatalogueError("catalogue.error.empty")
    return items


def results_csv(results: Iterable[dict[str, Any]]) -> str:
    """The results exactly as `ecolabel-verify eligibility` writes them (one row per catalogue line),
    cells made safe for spreadsheets by the same rule (`verification.spreadsheet`)."""
    out = io.StringIO()
    csv.writer(out).writerows(result_rows(results))
    return out.getvalue()
