"""The manifest of a catalogue's chunk decisions, and the offline check that they cover the catalogue.

A catalogue checked in chunks (`verification.client.catalogue_run`) leaves one registry-signed answer per chunk
and, once the last chunk is done, `manifest.json` beside them:

    {"type": "EligibilityCatalogueManifest", "version": 1,
     "catalogue": {"name": "catalogue.csv", "sha256": "…", "bytes": 61234567, "lines": 1000000},
     "requirement": {…as asked…}, "date": "2026-06-01T00:00:00Z", "chunkSize": 10000,
     "items": 1000000, "eligible": 912345,
     "chunks": [{"file": "chunk-000000.json", "sha256": "…", "first": 0, "items": 10000,
                 "eligible": 9120, "treeSize": 4567}, …]}

The manifest itself is not signed; every chunk's answer is. `check_decisions` proves what a signature
can: each listed file has the SHA-256 the manifest names and verifies (the registry's signature, its
checkpoint, every result), the chunks follow each other without gap or overlap, all answer the same
question (requirement and date) and add up to the catalogue's lines, and no unlisted chunk lies beside
them. Given the catalogue too, it checks the file's SHA-256 and that the signed results name its lines'
refs one by one, in order: the decisions then cover exactly that catalogue.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from verification.client.catalogue import collector_paused, iter_refs
from verification.client.files import write_atomically
from verification.decision import EligibilityDecision, verify_saved_eligibility_bytes
from verification.errors import MalformedInput, VerificationError
from verification.jwk import PublicKey
from verification.payloads.common import parse_timestamp

if TYPE_CHECKING:
    from verification.client.catalogue_run import Catalogue

MANIFEST_TYPE = "EligibilityCatalogueManifest"
_CHUNK_NAME = re.compile(r"chunk-\d{6,}\.json")


def chunk_file_name(number: int) -> str:
    return f"chunk-{number:06d}.json"


@dataclass(frozen=True)
class ChunkEntry:
    file: str
    sha256: str  # of the file's bytes
    first: int  # the catalogue line (counted from 0) its first result is about
    items: int
    eligible: int
    tree_size: int  # of the checkpoint the registry judged this chunk at

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "first": self.first,
            "items": self.items,
            "eligible": self.eligible,
            "treeSize": self.tree_size,
        }

    @classmethod
    def from_json(cls, data: Any) -> ChunkEntry:
        if not isinstance(data, dict):
            raise MalformedInput("BAD_MANIFEST", "a chunk entry is an object")
        try:
            entry = cls(
                str(data["file"]),
                str(data["sha256"]),
                int(data["first"]),
                int(data["items"]),
                int(data["eligible"]),
                int(data["treeSize"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise MalformedInput("BAD_MANIFEST", f"a chunk entry lacks or misspells {exc}") from exc
        if not _CHUNK_NAME.fullmatch(entry.file):  # a name, never a path out of the directory
            raise MalformedInput("BAD_MANIFEST", f"{entry.file!r} is not a chunk file name")
        return entry


@dataclass(frozen=True)
class Manifest:
    FILE_NAME: ClassVar[str] = "manifest.json"

    catalogue_name: str
    catalogue_sha256: str
    catalogue_bytes: int
    lines: int
    requirement: dict[str, Any]
    date: str
    chunk_size: int
    chunks: list[ChunkEntry]

    @classmethod
    def for_run(
        cls, catalogue: Catalogue, requirement: dict[str, Any], date: str, chunk_size: int, chunks: list[ChunkEntry]
    ) -> Manifest:
        return cls(
            catalogue.path.name,
            catalogue.sha256,
            catalogue.size,
            catalogue.lines,
            requirement,
            date,
            chunk_size,
            chunks,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "type": MANIFEST_TYPE,
            "version": 1,
            "catalogue": {
                "name": self.catalogue_name,
                "sha256": self.catalogue_sha256,
                "bytes": self.catalogue_bytes,
                "lines": self.lines,
            },
            "requirement": self.requirement,
            "date": self.date,
            "chunkSize": self.chunk_size,
            "items": sum(chunk.items for chunk in self.chunks),
            "eligible": sum(chunk.eligible for chunk in self.chunks),
            "chunks": [chunk.to_json() for chunk in self.chunks],
        }

    def save(self, directory: Path) -> None:
        write_atomically(directory / self.FILE_NAME, orjson.dumps(self.to_json(), option=orjson.OPT_INDENT_2))

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            data = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise MalformedInput("BAD_MANIFEST", f"{path.name} is not JSON: {exc}") from exc
        if not isinstance(data, dict) or data.get("type") != MANIFEST_TYPE or data.get("version") != 1:
            raise MalformedInput("BAD_MANIFEST", f"{path.name} is not a catalogue manifest (version 1)")
        try:
            catalogue = data["catalogue"]
            return cls(
                str(catalogue["name"]),
                str(catalogue["sha256"]),
                int(catalogue["bytes"]),
                int(catalogue["lines"]),
                dict(data["requirement"]),
                str(data["date"]),
                int(data["chunkSize"]),
                [ChunkEntry.from_json(chunk) for chunk in data["chunks"]],
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise MalformedInput("BAD_MANIFEST", f"{path.name} lacks or misspells {exc}") from exc


@dataclass
class DirectoryReport:
    manifest: Manifest
    problems: list[str] = field(default_factory=list)
    decisions: int = 0  # that verified
    items: int = 0
    eligible: int = 0
    origin: str = ""
    tree_sizes: set[int] = field(default_factory=set)
    catalogue_checked: bool = False


def manifest_of(path: Path) -> Path:
    """The manifest a path names: a decisions directory's manifest.json, or the manifest itself."""
    return path / Manifest.FILE_NAME if path.is_dir() else path


def check_decisions(path: Path, key: PublicKey, catalogue: Path | None = None) -> DirectoryReport:
    """Check a directory of chunk decisions against its manifest (and `catalogue`, when given).

    Raises `MalformedInput` when there is no usable manifest; everything else found wrong is a line of
    the report's `problems`. One chunk is held in memory at a time."""
    manifest_path = manifest_of(path)
    directory = manifest_path.parent
    manifest = Manifest.load(manifest_path)
    with collector_paused():
        return _check(directory, manifest, key, catalogue)


def _check(directory: Path, manifest: Manifest, key: PublicKey, catalogue: Path | None) -> DirectoryReport:
    report = DirectoryReport(manifest)
    refs = _catalogue_refs(catalogue, manifest, report) if catalogue is not None else None
    listed = {entry.file for entry in manifest.chunks}
    report.problems += [
        f"{name} is in the directory but not in the manifest"
        for name in sorted(p.name for p in directory.iterdir() if _CHUNK_NAME.fullmatch(p.name))
        if name not in listed
    ]
    question: tuple[Any, ...] | None = None
    expected_first = 0
    for entry in manifest.chunks:
        if entry.first != expected_first:
            report.problems.append(
                f"{entry.file} starts at line {entry.first:,}, but the chunks before it end at line {expected_first:,}"
            )
        expected_first = entry.first + entry.items
        decision, results = _check_chunk(directory, entry, key, report)
        if decision is None:
            if refs is not None:
                _skip(refs, entry.items)
            continue
        asked = (orjson.dumps(decision.requirement, option=orjson.OPT_SORT_KEYS), decision.date)
        question = question or asked
        if asked != question:
            report.problems.append(f"{entry.file} answers another question (requirement or date) than the first chunk")
        if decision.date != parse_timestamp(manifest.date):
            report.problems.append(f"{entry.file} was judged on {decision.date}, the manifest says {manifest.date}")
        if refs is not None:
            _compare_refs(entry, results, refs, report)
    if expected_first != manifest.lines:
        report.problems.append(
            f"the chunks cover {expected_first:,} lines, the catalogue has {manifest.lines:,}: not the whole catalogue"
        )
    if refs is not None and next(refs, None) is not None:
        report.problems.append(f"the catalogue has lines after the {expected_first:,} the chunks cover")
    return report


def _check_chunk(
    directory: Path, entry: ChunkEntry, key: PublicKey, report: DirectoryReport
) -> tuple[EligibilityDecision | None, list[dict[str, Any]]]:
    path = directory / entry.file
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        report.problems.append(f"{entry.file} is missing: lines {entry.first:,} to {entry.first + entry.items - 1:,}")
        return None, []
    if hashlib.sha256(data).hexdigest() != entry.sha256:
        report.problems.append(f"{entry.file} is not the file the manifest lists (its SHA-256 differs)")
        return None, []
    try:
        saved = verify_saved_eligibility_bytes(data, key)
    except VerificationError as exc:
        report.problems.append(f"{entry.file}: {exc.diagnostics()}")
        return None, []
    decision = saved.decision
    if decision.item_count != entry.items or decision.eligible_count != entry.eligible:
        report.problems.append(
            f"{entry.file}: the decision covers {decision.item_count:,} items ({decision.eligible_count:,} eligible), "
            f"the manifest says {entry.items:,} ({entry.eligible:,})"
        )
    report.decisions += 1
    report.items += decision.item_count
    report.eligible += decision.eligible_count
    report.origin = decision.origin
    report.tree_sizes.add(decision.tree_size or entry.tree_size)
    return decision, saved.results


def _catalogue_refs(catalogue: Path, manifest: Manifest, report: DirectoryReport) -> Iterator[str]:
    if file_sha256(catalogue) != manifest.catalogue_sha256:
        report.problems.append(f"{catalogue} is not the catalogue the manifest names (its SHA-256 differs)")
    report.catalogue_checked = True
    # The lines' checks are skipped: a catalogue with another SHA-256 is reported above, and the run
    # checked every line of the one it names.
    return iter_refs(catalogue)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _skip(refs: Iterator[str], count: int) -> None:
    for _ in islice(refs, count):
        pass


def _compare_refs(
    entry: ChunkEntry, results: list[dict[str, Any]], refs: Iterator[str], report: DirectoryReport
) -> None:
    lines = list(islice(refs, len(results)))
    if lines == [result.get("ref") for result in results]:  # the usual chunk, compared as two lists
        return
    padded: list[str | None] = [*lines, *[None] * (len(results) - len(lines))]  # the catalogue ended first
    for offset, (result, ref) in enumerate(zip(results, padded, strict=True)):
        if result.get("ref") != ref:
            line = entry.first + offset
            signed = result.get("ref")
            report.problems.append(
                f"{entry.file}: line {line:,} of the catalogue is {ref!r}, the result is for {signed!r}"
            )
            return
