"""CSV cells that a spreadsheet shows as text and never runs as a formula (OWASP "CSV Injection").

A spreadsheet evaluates a cell that starts with `=`, `+`, `-` or `@`, and some do so after leading
blanks too (" =1+1"); a leading tab or carriage return starts one in others. Such a cell gets one
leading apostrophe, which spreadsheets take as "this is text"; every other cell is written as it is.
Every CSV the project writes (catalogue results, supply-chain exports) passes its cells through
`spreadsheet_cell`, so there is one rule:

    >>> spreadsheet_cell(" =HYPERLINK(1)")
    "' =HYPERLINK(1)"
    >>> spreadsheet_cell("IT/044/005")
    'IT/044/005'
"""

from __future__ import annotations

from typing import Final

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_AFTER_BLANKS: Final = ("=", "+", "-", "@")
_FIRST: Final = frozenset(FORMULA_STARTS)


def spreadsheet_cell(value: str) -> str:
    """`value`, or `'` + `value` when a spreadsheet would evaluate it."""
    # The first character decides, unless it is a blank (a results file of a million lines has seven
    # million cells; most start with a letter or a digit and are looked at once).
    first = value[:1]
    if first in _FIRST or (first.isspace() and value.lstrip().startswith(_AFTER_BLANKS)):
        return "'" + value
    return value


def spreadsheet_row(values: list[object]) -> list[object]:
    """A CSV row with every text cell neutralised; numbers are written as numbers."""
    return [spreadsheet_cell(value) if isinstance(value, str) else value for value in values]
