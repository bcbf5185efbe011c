"""What is wrong with an input file, located by row (CSV) or line (JSON Lines) and field.

Every record of a file is checked before anything is signed; all problems are collected and raised
together as `RecordsInvalid`, so one run shows the whole list rather than the first mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

# A location inside a JSON record, e.g. ("products", 2, "gtin") or ("validUntil",).
RecordPath = tuple[str | int, ...]


@dataclass(frozen=True)
class RecordIssue:
    message: str
    row: int | None = None  # 1-based: the CSV header is row 1; a JSON Lines file counts lines
    field: str | None = None  # CSV column or JSON path
    licence: str | None = None
    unit: str = "row"

    def __str__(self) -> str:
        where = [f"{self.unit} {self.row}"] if self.row is not None else []
        if self.licence:
            where.append(f"licence {self.licence}")
        if self.field:
            where.append(self.field)
        return f"{', '.join(where)}: {self.message}" if where else self.message


class RecordsInvalid(Exception):
    """The input has problems; nothing was signed."""

    def __init__(self, issues: Sequence[RecordIssue]) -> None:
        self.issues = tuple(issues)
        shown = "\n".join(f"  {issue}" for issue in self.issues[:50])
        more = f"\n  … and {len(self.issues) - 50} more" if len(self.issues) > 50 else ""
        super().__init__(f"{len(self.issues)} problem(s) in the input; nothing was signed:\n{shown}{more}")


def validation_messages(exc: ValidationError) -> list[tuple[RecordPath, str]]:
    """(path, message) pairs of a pydantic error, with pydantic's "Value error, " prefix removed."""
    return [
        (tuple(error["loc"]), error["msg"].removeprefix("Value error, "))
        for error in exc.errors(include_url=False, include_input=False)
    ]


def dotted(path: RecordPath) -> str:
    """("products", 2, "gtin") -> "products[2].gtin"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
