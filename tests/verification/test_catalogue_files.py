"""Catalogue files read and results written by `ecolabel-verify eligibility`: the quick paths a run of a
million lines takes give what the plain rules give."""

from __future__ import annotations

import csv
import gc
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from verification.client.catalogue import collector_paused, count_checked, iter_catalogue, iter_refs, result_rows
from verification.client.catalogue_run import _csv_bytes
from verification.errors import MalformedInput
from verification.spreadsheet import spreadsheet_row

HEX = "ab" * 32

TRICKY = (
    "\ufeffref,certificate_id,programme,licence_number,gtin,model,ref\n"
    f"A-1,{HEX},,,,,\n"
    "\n"  # a blank line is no line
    '" A,2 ",,eu-ecolabel,"IT/044/005",,,\n'
    f",{HEX},,,,,\n"  # no ref: the row number
    ",,,,4006381333931,VW-100,B-4\n"  # the second ref column
    "A-5,,,,4006381333931,,  \n"  # the second ref column blank: the first
    '"multi\nline",,,,12345678\n'  # a short row, a ref with a line break
)


def _reference_items(path: Path) -> list[dict[str, str]]:
    """The lines as the plain rule reads them: non-blank cells of named columns, stripped, `ref` by default."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        items, number = [], 1
        for row in reader:
            if not row:
                continue
            number += 1
            item: dict[str, str] = {}
            for name, cell in zip(header, row, strict=False):
                if name and cell.strip():
                    item[name] = cell.strip()
            item.setdefault("ref", str(number))
            items.append(item)
    return items


def test_lines_and_refs_are_read_as_the_plain_rule_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text(TRICKY, encoding="utf-8")
    expected = _reference_items(path)
    assert list(iter_catalogue(path)) == expected
    assert list(iter_catalogue(path, check=False)) == expected
    assert (
        list(iter_refs(path)) == [item["ref"] for item in expected] == ["A-1", "A,2", "4", "B-4", "A-5", "multi\nline"]
    )


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ("R,,p,l,,", None),
        (f"{'r' * 100},,{'p' * 64},{'l' * 64},,", None),
        (f"{'r' * 101},,p,l,,", "has a ref longer than 100 characters"),
        (f"R,,{'p' * 65},l,,", "has a programme longer than 64 characters"),
        (f"R,,p,{'l' * 65},,", "has a licence_number longer than 64 characters"),
        (f"R,,,,12345678,{'m' * 100}", None),
        (f"R,,,,12345678,{'m' * 101}", "has a model longer than 100 characters"),
        (f"R,{HEX},,,,", None),
        (f"R,{HEX}0,,,,", "not 64 lowercase hex digits"),
        ("R,,,,1234567,", "has a gtin that is not 8 to 14 digits"),
    ],
)
def test_each_limit_is_still_checked(cells: str, problem: str | None, tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text(f"ref,certificate_id,programme,licence_number,gtin,model\n{cells}\n", encoding="utf-8")
    if problem is None:
        assert len(list(iter_catalogue(path))) == 1
    else:
        with pytest.raises(MalformedInput, match=problem):
            list(iter_catalogue(path))


def _counted_or_refused(read: Any, path: Path) -> int | str:
    try:
        return int(read(path))
    except MalformedInput as exc:
        return exc.detail


_COLUMN = st.sampled_from(["ref", "certificate_id", "programme", "licence_number", "gtin", "model", ""])
_CELL = st.one_of(
    st.sampled_from(["", " ", HEX, f" {HEX} ", HEX.upper(), HEX[:-1], "4006381333931", "1234567", "12345678901234"]),
    st.sampled_from(["eu-ecolabel", "IT/044/005", "VW-100", " p ", "p" * 64, "p" * 65, "r" * 100, "r" * 101]),
    st.text(alphabet=st.sampled_from(["a", "1", "٣", " ", "-"]), max_size=16),
)


_ALL = ["ref", "certificate_id", "programme", "licence_number", "gtin", "model"]


@example(header=_ALL, rows=[["r" * 101, HEX, "", "", "", ""]])
@example(header=_ALL, rows=[["r", "", "", "", "12345678", "m" * 101]])
@example(header=_ALL, rows=[["r", "", "p" * 65, "l", "", ""]])
@example(header=_ALL, rows=[["r", "", "p", "l" * 65, "", ""]])
@example(header=_ALL, rows=[["r", "", "p", "", "12345678", ""]])
@example(header=_ALL, rows=[["r", HEX, "p", "", "", ""]])
@example(header=_ALL, rows=[["r", f"{HEX}", "", "", "", ""], ["r", "", "", "", "", ""]])
@settings(deadline=None, max_examples=300)
@given(
    header=st.lists(_COLUMN, min_size=1, max_size=7),
    rows=st.lists(st.lists(_CELL, max_size=8), min_size=1, max_size=4),
)
def test_a_catalogue_is_counted_or_refused_as_its_lines_are_read(
    header: list[str], rows: list[list[str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`count_checked` (the scan's quick count) accepts what `iter_catalogue` accepts and refuses the same
    line with the same words, whatever the columns (repeated, missing, unnamed) and cells."""
    path = tmp_path_factory.mktemp("catalogue") / "catalogue.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    expected = _counted_or_refused(lambda p: sum(1 for _ in iter_catalogue(p)), path)
    assert _counted_or_refused(count_checked, path) == expected


def _reference_row(result: dict[str, Any]) -> list[object]:
    only = result["certificates"][0]
    return spreadsheet_row(
        [
            str(result.get("ref", "")),
            "yes" if result["eligible"] else "no",
            ";".join(result["reasons"]),
            only["id"],
            str(only["accepted_via"]) if only["accepted_via"] else "",
            "",
            "",
        ]
    )


TEXT = st.text(alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", " ", "\u3000", "'", "a", "1", "²", "é", ";"]))


@example(ref="=1+1", reasons=[" =2"], identifier="@x", via="-1")
@example(ref="", reasons=[], identifier="", via="")
@settings(deadline=None)
@given(ref=TEXT, reasons=st.lists(TEXT, max_size=2), identifier=TEXT, via=st.one_of(TEXT, st.none()))
def test_the_usual_line_is_written_as_every_other_line(
    ref: str, reasons: list[str], identifier: str, via: str | None
) -> None:
    result = {
        "ref": ref,
        "eligible": True,
        "reasons": reasons,
        "certificates": [{"id": identifier, "eligible": True, "accepted_via": via, "path": [], "conditions": []}],
    }
    rows = list(result_rows([result]))
    assert rows[1] == _reference_row(result)


CELL = st.text(alphabet=st.sampled_from([",", '"', "\r", "\n", " ", "'", "=", "a", "1", "é", ";", "\x00"]))


@example(cells=[""])
@example(cells=["", ""])
@example(cells=["a", "b,c", ""])
@example(cells=['say "hi"', "x"])
@example(cells=["line\nbreak", "cr\r", ""])
@settings(deadline=None)
@given(cells=st.lists(CELL, min_size=1, max_size=8))
def test_results_lines_are_the_bytes_the_csv_writer_writes(cells: list[str]) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([cells, ["ref", "yes", "", HEX, "direct", "", ""], cells])
    assert _csv_bytes([cells, ["ref", "yes", "", HEX, "direct", "", ""], cells]) == buffer.getvalue().encode("utf-8")


def test_the_collector_is_paused_and_given_back_as_it_was() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
