"""A whole catalogue through the registry, chunk by chunk, resumably, in bounded memory.

The catalogue is read as a stream and sent in chunks (`POST /v1/verify/eligibility`, 5,000 lines a
request unless told otherwise, at most 10,000); two requests are in flight (`--in-flight`; N + 1 for a
registry serving with N workers), so the registry judges one chunk while this process checks and writes
the one before; the first chunks are sent while the catalogue is still being scanned
(`verification.client.catalogue_pipeline`), and nothing is written before the scan accepts it. Each answer is
verified (signature, checkpoint, results digest) before anything of it is kept; its results are appended
to the results CSV and the answer is saved as it came, one file per chunk, in the decisions directory.
Memory holds at most the chunks in flight (while the scan runs, up to `catalogue_pipeline.AHEAD`), whatever
the size of the catalogue.

After every chunk a state file beside the results (`results.csv.state.json`) records the chunks done,
their decisions' SHA-256 and how long the results file was after them. An interrupted run started again
with the same command continues after the last recorded chunk: the results file is cut back to that
length, so a chunk half-written when the run stopped is written once. A run is resumed only against
the same catalogue (by SHA-256), the same registry (by its key) and the same question (requirement,
date, chunk size); anything else is refused. When the last chunk is done the manifest
(`verification.client.catalogue_manifest`) is written beside the chunk decisions and the state file removed.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any

import orjson

from verification.client import RegistryClient
from verification.client.catalogue import (
    RESULT_COLUMNS,
    chunks,
    collector_paused,
    count_checked,
    iter_catalogue,
    result_rows,
)
from verification.client.catalogue_manifest import ChunkEntry, Manifest, chunk_file_name, file_sha256
from verification.client.catalogue_pipeline import Scan, answers
from verification.client.files import write_atomically
from verification.decision import SavedEligibility
from verification.errors import ProofInvalid
from verification.jwk import PublicKey
from verification.payloads.common import parse_timestamp

STATE_VERSION = 1
MAX_CHUNK = 10_000  # the registry's per-request maximum
# Lines per request unless told otherwise. A registry process holds a chunk's lines, certificate rows,
# credentials, results and answer at once while it judges it: ~57 MB at 10,000 lines, ~30 MB at 5,000,
# on top of what it keeps between requests (BENCHMARKS.md). A request's fixed cost is ~2 ms of the
# registry's CPU, so halving the chunk costs ~0.2 µs a line.
DEFAULT_CHUNK = 5_000
IN_FLIGHT = 2  # one chunk judged by the registry while the previous one is checked and written here
MAX_IN_FLIGHT = 8  # each request in flight holds its chunk, its body and its answer (some 60 MB at most)


class ResumeRefused(Exception):
    """The state file belongs to another run (catalogue, registry or question), or is not a state file."""


@dataclass(frozen=True)
class Catalogue:
    """A catalogue file as one pass saw it: its SHA-256, size and number of lines (every line valid)."""

    path: Path
    sha256: str
    size: int
    lines: int

    @classmethod
    def scan(cls, path: Path) -> Catalogue:
        """Hash the file and check every line (`count_checked`), holding one line at a time."""
        with collector_paused():
            lines = count_checked(path)
        return cls(path, file_sha256(path), path.stat().st_size, lines)


@dataclass(frozen=True)
class Question:
    """Everything a resumed run must share with the run it continues."""

    catalogue_sha256: str
    lines: int
    registry_key: str  # the registry's public key (JWK `x`): the same registry, whatever its URL
    requirement: dict[str, Any]
    date: str
    chunk_size: int

    def difference(self, other: Question) -> str | None:
        """What differs from `other` (the recorded run), in words, or None."""
        if self.catalogue_sha256 != other.catalogue_sha256:
            return (
                f"the catalogue changed since the run was interrupted (SHA-256 {other.catalogue_sha256[:16]}…, "
                f"now {self.catalogue_sha256[:16]}…)"
            )
        if self.registry_key != other.registry_key:
            return "the registry is another one (its signing key differs from the interrupted run's)"
        for name in ("requirement", "date", "chunk_size"):
            if getattr(self, name) != getattr(other, name):
                return (
                    f"the {name.replace('_', ' ')} differs (was {getattr(other, name)!r}, now {getattr(self, name)!r})"
                )
        return None


@dataclass
class RunState:
    question: Question
    chunks: list[ChunkEntry] = field(default_factory=list)
    results_bytes: int = 0  # the results file's length after the last recorded chunk

    @property
    def items_done(self) -> int:
        return sum(chunk.items for chunk in self.chunks)

    def save(self, path: Path) -> None:
        data = {
            "version": STATE_VERSION,
            "question": asdict(self.question),
            "chunks": [chunk.to_json() for chunk in self.chunks],
            "results_bytes": self.results_bytes,
        }
        write_atomically(path, orjson.dumps(data, option=orjson.OPT_INDENT_2))

    @classmethod
    def load(cls, path: Path) -> RunState:
        try:
            data = orjson.loads(path.read_bytes())
            if data.get("version") != STATE_VERSION:
                raise ValueError(f"expected a version {STATE_VERSION} state")
            question = Question(**data["question"])
            entries = [ChunkEntry.from_json(chunk) for chunk in data["chunks"]]
            return cls(question, entries, int(data["results_bytes"]))
        except (ValueError, KeyError, TypeError, AttributeError, orjson.JSONDecodeError) as exc:
            raise ResumeRefused(f"{path} is not the state of a catalogue run ({exc}); remove it to start over") from exc

    @classmethod
    def recorded(cls, results: Path) -> RunState | None:
        """The interrupted run that wrote `results`, from its state file, if there is one."""
        path = state_path(results)
        return cls.load(path) if path.exists() else None


def state_path(results: Path) -> Path:
    """Where the run writing `results` keeps its state: beside it."""
    return results.with_name(results.name + ".state.json")


@dataclass(frozen=True)
class RunSettings:
    results: Path
    decisions: Path
    max_chunks: int | None = None  # stop after this many chunks in this run; a rerun continues
    in_flight: int = IN_FLIGHT


@dataclass
class Progress:
    """What a progress display is told after every chunk."""

    items_done: int
    eligible: int
    resumed_from: int


@dataclass
class RunSummary:
    items: int
    eligible: int
    chunks: int
    complete: bool
    resumed_from: int  # items recorded by an earlier, interrupted run
    manifest: Path | None


@dataclass(frozen=True)
class Ask:
    """What every chunk asks, known before the catalogue's scan ends (`Question` adds the catalogue)."""

    registry_key: str
    requirement: dict[str, Any]
    date: str
    chunk_size: int

    def about(self, catalogue: Catalogue) -> Question:
        return Question(
            catalogue.sha256, catalogue.lines, self.registry_key, self.requirement, self.date, self.chunk_size
        )


def run(
    client: RegistryClient,
    key: PublicKey,
    scan: Scan,
    ask: Ask,
    *,
    settings: RunSettings,
    recorded: RunState | None,
    on_scanned: Callable[[Catalogue], None] | None = None,
    on_chunk: Callable[[Progress], None] | None = None,
) -> RunSummary:
    """Check the catalogue `scan` reads chunk by chunk (resuming a recorded run), writing results, decisions
    and state. `recorded` is the interrupted run (`RunState.recorded`, read once by the caller): the
    lines sent and the run resumed both follow it. The first chunks are sent while the scan runs
    (`catalogue_pipeline`); nothing is written before it is done, `on_scanned` has seen the catalogue and
    the recorded run, if any, is one this run may continue. A refusal of the scan's (`CatalogueRefused`)
    comes before anything else that failed."""
    with collector_paused():
        # Lines are read unchecked, as the scan checks them; the registry refuses a chunk the scan would.
        lines = islice(iter_catalogue(scan.path, check=False), recorded.items_done if recorded else 0, None)
        parts: Iterator[tuple[int, list[dict[str, Any]]]] = enumerate(
            chunks(lines, ask.chunk_size), start=len(recorded.chunks) if recorded else 0
        )
        if settings.max_chunks is not None:
            parts = islice(parts, settings.max_chunks)
        body = {"requirement": ask.requirement, "date": ask.date}
        sent = answers(client, key, body, parts, in_flight=settings.in_flight, scanning=lambda: not scan.done())
        started: _Started | None = None
        try:
            for number, part, saved in sent:
                started = started or _start(scan, ask, settings, on_scanned, recorded)
                started.keep(number, part, saved, on_chunk)
                del part, saved  # freed here, so that the collection below has only the chunks in flight to walk
                # httpx leaves each request and its response in a reference cycle, with the bytes sent and
                # read (6 MB a chunk): the youngest generation, where they are, is collected after each chunk.
                gc.collect(0)
            started = started or _start(scan, ask, settings, on_scanned, recorded)  # no chunk left to check
        except Exception:
            if started is None:
                scan.result()  # the scan's refusal first, as when it ran before the first request
            raise
        finally:
            sent.close()
            if started is not None:
                started.out.close()
    catalogue, state, question = started.catalogue, started.state, started.question
    complete = state.items_done == question.lines
    manifest = None
    if complete:
        Manifest.for_run(catalogue, question.requirement, question.date, question.chunk_size, state.chunks).save(
            settings.decisions
        )
        manifest = settings.decisions / Manifest.FILE_NAME
        started.state_file.unlink()
    return RunSummary(state.items_done, started.eligible, len(state.chunks), complete, started.resumed_from, manifest)


@dataclass
class _Started:
    """A run once its catalogue is scanned and its state file started or resumed: where chunks are kept."""

    catalogue: Catalogue
    question: Question
    state: RunState
    state_file: Path
    decisions: Path
    out: IO[bytes]
    resumed_from: int
    eligible: int

    def keep(
        self,
        number: int,
        part: list[dict[str, Any]],
        saved: SavedEligibility,
        on_chunk: Callable[[Progress], None] | None,
    ) -> None:
        state = self.state
        entry = _keep(
            number, part, saved, self.question, decisions=self.decisions, out=self.out, first=state.items_done
        )
        state.chunks.append(entry)
        state.results_bytes = self.out.tell()
        state.save(self.state_file)
        self.eligible += entry.eligible
        if on_chunk is not None:
            on_chunk(Progress(state.items_done, self.eligible, self.resumed_from))


def _start(
    scan: Scan,
    ask: Ask,
    settings: RunSettings,
    on_scanned: Callable[[Catalogue], None] | None,
    recorded: RunState | None,
) -> _Started:
    catalogue = scan.result()
    if on_scanned is not None:
        on_scanned(catalogue)
    question = ask.about(catalogue)
    state_file = state_path(settings.results)
    state = _resume_or_start(state_file, recorded, question, settings)
    settings.decisions.mkdir(parents=True, exist_ok=True)
    out = settings.results.open("ab")
    eligible = sum(chunk.eligible for chunk in state.chunks)
    return _Started(catalogue, question, state, state_file, settings.decisions, out, state.items_done, eligible)


def _keep(
    number: int,
    part: list[dict[str, Any]],
    saved: SavedEligibility,
    question: Question,
    *,
    decisions: Path,
    out: IO[bytes],
    first: int,
) -> ChunkEntry:
    """Check that a verified answer is this chunk's, archive it and append its results."""
    _check_answers_this_chunk(saved, part, question, number)
    data = saved_bytes(saved)
    name = chunk_file_name(number)
    write_atomically(decisions / name, data)
    _append_results(out, saved.results)
    return ChunkEntry(
        file=name,
        sha256=hashlib.sha256(data).hexdigest(),
        first=first,
        items=len(part),
        eligible=saved.decision.eligible_count,
        tree_size=_tree_size(saved),
    )


def _resume_or_start(
    state_file: Path, recorded: RunState | None, question: Question, settings: RunSettings
) -> RunState:
    """The recorded run (`recorded`, read from `state_file`) if this one may continue it, else a new run."""
    if recorded is not None:
        state = recorded
        difference = question.difference(state.question)
        if difference is not None:
            raise ResumeRefused(
                f"{state_file} records an interrupted run that this one cannot continue: {difference}; "
                "run it as it was, or remove the state file to start over"
            )
        size = settings.results.stat().st_size if settings.results.exists() else -1
        if size < state.results_bytes:
            raise ResumeRefused(
                f"{settings.results} is shorter than the interrupted run left it ({size:,} < "
                f"{state.results_bytes:,} bytes); remove {state_file} to start over"
            )
        missing = [chunk.file for chunk in state.chunks if not (settings.decisions / chunk.file).is_file()]
        if missing:
            raise ResumeRefused(
                f"{settings.decisions} lacks {missing[0]} of the interrupted run (and {len(missing) - 1} more); "
                "give the --decisions directory it wrote to, or remove the state file to start over"
            )
        with settings.results.open("r+b") as out:
            out.truncate(state.results_bytes)  # rows of a chunk that was not recorded are written again
        return state
    if settings.decisions.is_dir() and any(_is_decision_file(p.name) for p in settings.decisions.iterdir()):
        # Archived evidence is never overwritten by a new run.
        raise ResumeRefused(
            f"{settings.decisions} already holds the decisions of another run; give another --decisions "
            "directory, or empty that one"
        )
    header = _csv_bytes([list(RESULT_COLUMNS)])
    write_atomically(settings.results, header)
    state = RunState(question, [], len(header))
    state.save(state_file)
    return state


def _is_decision_file(name: str) -> bool:
    return name == Manifest.FILE_NAME or (name.startswith("chunk-") and name.endswith(".json"))


def _check_answers_this_chunk(saved: SavedEligibility, part: list[dict[str, Any]], question: Question, n: int) -> None:
    """The signed answer is about this chunk's lines, on the run's date: one result per line, refs in order."""
    if saved.decision.item_count != len(part):
        raise ProofInvalid(
            "WRONG_ANSWER", f"chunk {n}: {len(part)} lines sent, the decision covers {saved.decision.item_count}"
        )
    if saved.decision.date != parse_timestamp(question.date):
        raise ProofInvalid("WRONG_ANSWER", f"chunk {n} was judged on {saved.decision.date}, not {question.date}")
    for line, result in zip(part, saved.results, strict=True):
        if result.get("ref") != line["ref"]:
            raise ProofInvalid(
                "WRONG_ANSWER", f"chunk {n}: result for {result.get('ref')!r} where {line['ref']!r} was sent"
            )


def _tree_size(saved: SavedEligibility) -> int:
    size = saved.decision.tree_size
    return size if size is not None else int(saved.decision.checkpoint.split("\n")[1])


def saved_bytes(saved: SavedEligibility) -> bytes:
    """The answer to archive: as received when it round-trips (the usual case), else re-encoded with its
    results as the RFC 8785 bytes that verified."""
    return saved.archived


def _append_results(out: IO[bytes], results: list[dict[str, Any]]) -> None:
    out.write(_csv_bytes(islice(result_rows(results), 1, None)))
    out.flush()
    os.fsync(out.fileno())


def _csv_bytes(rows: Iterable[list[str]]) -> bytes:
    """The rows as `csv.writer` writes them (the excel dialect: QUOTE_MINIMAL, CRLF). A row of several
    cells none of which holds a comma, a quote or a line break, which is every results line without an
    unusual ref, is written as the writer writes it, its cells joined by commas, without the writer's
    per-cell work: ~1.5 -> ~0.4 µs a line (BENCHMARKS.md); any other row goes through the writer."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    write = buffer.write
    for row in rows:
        line = ",".join(row)
        if len(row) > 1 and line.count(",") == len(row) - 1 and not ('"' in line or "\r" in line or "\n" in line):
            write(line)
            write("\r\n")
        else:
            writer.writerow(row)
    return buffer.getvalue().encode("utf-8")
