"""Catalogue files for eligibility checks: CSV in, results CSV out.

Input columns (header row, any order): `ref` (your line id), and per line exactly one of
`certificate_id`; `programme` + `licence_number`; or `gtin` (with an optional `model`). Example:

    ref,certificate_id,programme,licence_number,gtin,model
    A-1,,eu-ecolabel,IT/044/005,,
    A-2,,,,4006381333931,VW-100
"""

from __future__ import annotations

import csv
import gc
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from verification.errors import MalformedInput
from verification.spreadsheet import spreadsheet_cell

COLUMNS = ("ref", "certificate_id", "programme", "licence_number", "gtin", "model")
RESULT_COLUMNS = ("ref", "eligible", "reasons", "certificates", "accepted_via", "path", "conditions")


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a catalogue is checked (reference counting frees as usual).

    A chunk's answer parses into some hundred thousand dicts and lists, all acyclic and all alive until
    the chunk is written; each counts towards the collector's thresholds, and every older-generation
    collection walks the chunks in memory: with the collector on, parsing an answer took three to ten
    times as long. The collector is switched back on (if it was on) when the block ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_catalogue(path: Path) -> list[dict[str, Any]]:
    """Every line of a catalogue, validated (see `iter_catalogue`); for files that fit in memory."""
    return list(iter_catalogue(path))


def iter_catalogue(path: Path, *, check: bool = True) -> Iterator[dict[str, str]]:
    """The catalogue's lines one at a time, each the non-blank cells of a row (stripped), with `ref`
    defaulting to the row number; a whole catalogue is never held in memory.

    Each line is checked as the registry's API will check it (one way to name the item, identifier
    shapes and lengths), so a long run is refused before it starts rather than at its millionth line;
    `check=False` skips that for a second pass over a file whose SHA-256 says it is the one checked.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = _header(reader)
        row_number = 1
        strip = str.strip
        for row in reader:
            if not row:  # a blank line is no line (as csv.DictReader reads it)
                continue
            row_number += 1
            # The non-blank cells of named columns, stripped (a million lines: one comprehension each).
            item = {name: value for name, value in zip(header, map(strip, row), strict=False) if value and name}
            if check:
                problem = _line_problem(item)
                if problem is not None:
                    raise MalformedInput("BAD_CATALOGUE", f"row {row_number} {problem}")
            if "ref" not in item:
                item["ref"] = str(row_number)
            yield item


def count_checked(path: Path) -> int:
    """The number of lines `iter_catalogue` gives, every one checked as it checks them (the same refusal
    for the first line it refuses), without making each line's dict: a line of the usual shape (its
    cells each named once, one way to name the item, identifiers of their shape) is accepted from its
    cells, any other goes through `iter_catalogue`'s own check. ~2.4 -> ~1.2 µs a line (BENCHMARKS.md)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = _header(reader)
        named = [name for name in header if name]
        if len(named) != len(set(named)):  # a column named twice (its last non-blank cell counts): the long way
            return sum(1 for _ in iter_catalogue(path))
        place = {name: index for index, name in enumerate(header) if name}
        refs, certificates, programmes, licences, gtins, models = (
            place.get(name, -1) for name in ("ref", "certificate_id", "programme", "licence_number", "gtin", "model")
        )
        usual = _usual_line(refs, certificates, programmes, licences, gtins, models)
        lines = 0
        for row in reader:
            if not row:  # a blank line is no line (as csv.DictReader reads it)
                continue
            lines += 1
            if not usual(row):
                item = {name: value for name, value in zip(header, map(str.strip, row), strict=False) if value and name}
                problem = _line_problem(item)
                if problem is not None:
                    raise MalformedInput("BAD_CATALOGUE", f"row {lines + 1} {problem}")
        return lines


def _usual_line(*places: int) -> Callable[[list[str]], bool]:
    """Whether a row (cells at `places`: ref, certificate_id, programme, licence_number, gtin, model; -1
    for a column the catalogue lacks) is a line `_line_problem` accepts, for the usual shapes only: False
    says "check it the long way", never "refused"."""
    refs, certificates, programmes, licences, gtins, models = places
    hex64, gtin_shape = _HEX64.fullmatch, _GTIN.fullmatch

    def cell(row: list[str], place: int) -> str:
        return row[place].strip() if 0 <= place < len(row) else ""

    def usual(row: list[str]) -> bool:
        certificate, programme, licence = cell(row, certificates), cell(row, programmes), cell(row, licences)
        gtin = cell(row, gtins)
        if len(cell(row, refs)) > _LIMITS["ref"] or len(cell(row, models)) > _LIMITS["model"]:
            return False
        if certificate:
            return not (programme or licence or gtin) and hex64(certificate) is not None
        if licence:
            return not gtin and 0 < len(programme) <= _LIMITS["programme"] and len(licence) <= _LIMITS["licence_number"]
        return bool(gtin) and not programme and gtin_shape(gtin) is not None

    return usual


def _header(reader: Iterator[list[str]]) -> list[str]:
    """The header row, refused when the file is not comma-separated or names a column not in `COLUMNS`."""
    header = next(reader, [])
    if len(header) == 1 and ";" in header[0]:
        raise MalformedInput(
            "BAD_CATALOGUE", "the columns are separated by semicolons; save the file as comma-separated CSV"
        )
    unknown = {name for name in header if name} - set(COLUMNS)
    if unknown:
        raise MalformedInput("BAD_CATALOGUE", f"unknown columns {sorted(unknown)}; expected some of {COLUMNS}")
    return header


def iter_refs(path: Path) -> Iterator[str]:
    """Each line's `ref` as `iter_catalogue` gives it, without the other cells (or any check)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        columns = [i for i, name in enumerate(header) if name == "ref"]
        row_number = 1
        for row in reader:
            if not row:
                continue
            row_number += 1
            ref = ""
            for column in columns:  # of repeated columns the last non-blank cell, as `iter_catalogue`
                if column < len(row) and (cell := row[column].strip()):
                    ref = cell
            yield ref or str(row_number)


_HEX64 = re.compile(r"[0-9a-f]{64}")
_GTIN = re.compile(r"\d{8,14}")
_LIMITS = {"ref": 100, "programme": 64, "licence_number": 64, "model": 100}
_SHORTEST_LIMIT = min(_LIMITS.values())  # a certificate_id that passed its check is 64 long, a gtin 14 at most


def _line_problem(item: dict[str, str]) -> str | None:
    """What the registry would refuse in this line (`CatalogueLine` in its API), or None."""
    ways = ("certificate_id" in item) + ("licence_number" in item) + ("gtin" in item)
    if ways == 0:
        return "names no certificate, licence or GTIN; fill in certificate_id, programme and licence_number, or gtin"
    if ways > 1:
        return "names its item more than one way; keep one of certificate_id, programme + licence_number, gtin"
    if ("licence_number" in item) != ("programme" in item):
        return "needs both programme and licence_number"
    return _shape_problem(item)


def _shape_problem(item: dict[str, str]) -> str | None:
    certificate = item.get("certificate_id")
    if certificate is not None and not _HEX64.fullmatch(certificate):
        return "has a certificate_id that is not 64 lowercase hex digits (the SHA-256 of the credential)"
    gtin = item.get("gtin")
    if gtin is not None and not _GTIN.fullmatch(gtin):
        return "has a gtin that is not 8 to 14 digits"
    if max(map(len, item.values())) > _SHORTEST_LIMIT:  # one comparison for the usual line
        for name, limit in _LIMITS.items():
            if len(item.get(name, "")) > limit:
                return f"has a {name} longer than {limit} characters"
    return None


def chunks(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """`items` in lists of `size` (the last one shorter), taking from the iterable only as needed."""
    iterator = iter(items)
    while part := list(itertools.islice(iterator, size)):
        yield part


def write_results(path: Path, results: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows(result_rows(results))


def result_rows(results: Iterable[dict[str, Any]]) -> Iterator[list[str]]:
    """The results CSV, header first: one row per catalogue line, every cell safe for spreadsheets.

    Refs, conditions and the rest come from catalogues and signed agreements written by others, so
    every cell goes through `spreadsheet_cell`.
    """
    yield list(RESULT_COLUMNS)
    cell = spreadsheet_cell
    for result in results:
        certificates = result["certificates"]
        if len(certificates) == 1 and not certificates[0]["path"] and not certificates[0]["conditions"]:
            # The usual line, one certificate and no agreement: the same cells as below, made directly;
            # a cell that starts with a letter or digit is one `spreadsheet_cell` leaves as it is.
            only = certificates[0]
            ref, reasons, identifier, via = (
                str(result.get("ref", "")),
                result["reasons"],
                only["id"],
                only["accepted_via"],
            )
            yield [
                ref if ref[:1].isalnum() else cell(ref),
                "yes" if result["eligible"] else "no",
                cell(";".join(reasons)) if reasons else "",
                identifier if identifier[:1].isalnum() else cell(identifier),
                (via if via[:1].isalnum() else cell(via)) if isinstance(via, str) else (cell(str(via)) if via else ""),
                "",
                "",
            ]
            continue
        winners = [c for c in certificates if c["eligible"]] or certificates
        yield [
            cell(value)
            for value in (
                str(result.get("ref", "")),
                "yes" if result["eligible"] else "no",
                ";".join(result["reasons"]),
                ";".join(c["id"] for c in certificates),
                ";".join(sorted({str(c["accepted_via"]) for c in winners if c["accepted_via"]})),
                ";".join(str(step.get("agreement", "")) for c in winners for step in c["path"]),
                ";".join(str(condition) for c in winners for condition in c["conditions"]),
            )
        ]
