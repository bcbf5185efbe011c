"""Every CSV the project writes keeps spreadsheets from running a cell as a formula (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ecolabel_registry.console.catalogue import results_csv
from verification.client.catalogue import write_results
from verification.spreadsheet import FORMULA_STARTS, spreadsheet_cell

# What a spreadsheet evaluates: a cell starting with one of these, also after leading blanks.
HOSTILE = ["=1+1", " =1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\tx", "\rx", "  \u3000=1", "\n-1"]


def _evaluated(cell: str) -> bool:
    return cell.startswith(("\t", "\r")) or cell.lstrip().startswith(("=", "+", "-", "@"))


@example("=1+1")
@example(" =1+1")
@example("\t")
@example("")
@example("'=1")
@settings(deadline=None)
@given(st.text(alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", " ", "\u3000", "'", "a", "1", "é"])))
def test_a_neutralised_cell_is_never_evaluated_and_keeps_its_text(value: str) -> None:
    cell = spreadsheet_cell(value)
    assert not _evaluated(cell)
    assert cell in (value, "'" + value)  # nothing but one leading apostrophe is ever added
    if not _evaluated(value):
        assert cell == value  # harmless text is written as it is


def test_the_triggers_are_owasps() -> None:
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


def _hostile_results() -> list[dict[str, Any]]:
    return [
        {
            "ref": value,
            "eligible": False,
            "reasons": [value],
            "certificates": [
                {
                    "id": value,
                    "eligible": False,
                    "accepted_via": value,
                    "path": [{"agreement": value}],
                    "conditions": [value],
                }
            ],
        }
        for value in HOSTILE
    ]


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


@pytest.mark.parametrize("writer", ["ecolabel-verify", "console"])
def test_every_results_csv_neutralises_every_cell(writer: str, tmp_path: Path) -> None:
    if writer == "ecolabel-verify":
        path = tmp_path / "results.csv"
        write_results(path, _hostile_results())
        text = path.read_text(encoding="utf-8")
    else:
        text = results_csv(_hostile_results())
    cells = _cells(text)
    assert not [cell for cell in cells if _evaluated(cell)]
    assert "' =1+1" in cells
    assert "'\t=1" in cells
