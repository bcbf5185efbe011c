"""The catalogue floor: the least a catalogue line costs one registry worker, measured on the figure's own
database and data after its runs.

    catalogue floor = 1 / (t_first_sight * certificates / lines + t_read + t_parse_encode)

- **t_first_sight**: one Ed25519 verification of one of the figure's credentials (`verify_ed25519` of its
  JWS signing input and signature, the 32-byte key parsed on every call as a document check parses it),
  over a sample of them in a loop. Every path judges the exact bytes logged, and a worker remembers a
  credential only once it has verified it itself (docs/SECURITY.md, `verification.standing`), so a fresh
  worker verifies each certificate the catalogue names once: per line, times certificates named / lines.
- **t_read**: per line, the certificate rows a chunk's lines name (by id, by programme + licence number,
  by GTIN through its products) and their credential bytes by leaf index, one statement of each per chunk
  with the chunk's distinct keys bound as one list (`db.lists`), run on the driver's cursor
  (`db.raw.Prebuilt`), the reader the eligibility path uses: the catalogue's first chunks, in the
  command's chunk size, after one read untimed.
- **t_parse_encode**: per line, orjson's parse of the request bodies the command sends for those chunks,
  and orjson's encoding, keys sorted as the results' digest requires, of the results the registry
  answered for them (the run's own chunk decisions).

The parts are summed, as on one core the steps of one request run one after the other. Nothing else of a
request is in it: no validation, no judgement, no results built, no signature, no HTTP.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from benchmarks.model import Limit, Quantity
from benchmarks.timing import NS_PER_S
from ecolabel_registry.certificates.repository import certificates, current_licence, entries, licences_by_programme
from ecolabel_registry.certificates.repository import products as certificate_products
from ecolabel_registry.db.lists import DIALECTS, dicts_among, one_of, tuples_among
from ecolabel_registry.db.raw import Prebuilt
from verification.b64 import b64url_decode
from verification.client.catalogue import chunks, iter_catalogue
from verification.client.catalogue_manifest import chunk_file_name
from verification.ed25519 import verify_ed25519
from verification.identifiers import normalise_gtin

# The columns of a certificate row the eligibility path reads: what judging a line needs.
_COLUMNS = tuple(
    certificates.c[name]
    for name in (
        "id",
        "programme_id",
        "licence_number",
        "category_code",
        "criteria_version",
        "valid_from_us",
        "valid_until_us",
        "signing_kid",
        "integrated_us",
        "superseded_by",
        "markets",
        "event_count",
        "leaf_index",
    )
)
_BY_IDS = {d: Prebuilt(select(*_COLUMNS).where(one_of(certificates.c.id, d))) for d in DIALECTS}
_BY_LICENCES = {d: Prebuilt(select(*_COLUMNS).where(*current_licence(d))) for d in DIALECTS}
_BY_GTINS = {
    d: Prebuilt(
        select(certificate_products.c.gtin, certificate_products.c.model, *_COLUMNS)
        .join(certificates, certificates.c.id == certificate_products.c.certificate_id)
        .where(one_of(certificate_products.c.gtin, d), certificates.c.superseded_by.is_(None))
        .order_by(certificate_products.c.gtin, certificate_products.c.certificate_id)  # an answer's order
    )
    for d in DIALECTS
}
_DOCUMENTS = {
    d: Prebuilt(select(entries.c.leaf_index, entries.c.document).where(one_of(entries.c.leaf_index, d)))
    for d in DIALECTS
}


@dataclass(frozen=True)
class Parts:
    """Seconds each part costs; `first_sight` once per certificate, the others per line."""

    first_sight: Clocks
    per_certificate: float  # certificates named ÷ lines
    read: Clocks
    parse_encode: Clocks

    @property
    def per_line(self) -> float:
        return self.first_sight.wall * self.per_certificate + self.read.wall + self.parse_encode.wall

    @property
    def cpu_per_line(self) -> float:
        return self.first_sight.cpu * self.per_certificate + self.read.cpu + self.parse_encode.cpu

    def limit(self) -> Limit:
        how = (
            f"catalogue floor: 1 / (first sight {self.first_sight.wall * 1e6:.0f} µs * {self.per_certificate:.3f} "
            f"+ read {self.read.wall * 1e6:.1f} µs + parse/encode {self.parse_encode.wall * 1e6:.1f} µs) a line"
        )
        return Limit(Quantity(1 / self.per_line, "items/s"), how)

    def cpu_note(self) -> str:
        """The same parts in thread CPU time, which other work on the machine does not stretch."""
        return (
            f"in thread CPU: first sight {self.first_sight.cpu * 1e6:.0f} µs, read {self.read.cpu * 1e6:.1f} µs, "
            f"parse/encode {self.parse_encode.cpu * 1e6:.1f} µs: {self.cpu_per_line * 1e6:.1f} µs a line, "
            f"{1 / self.cpu_per_line:,.0f} items/s"
        )


@dataclass(frozen=True)
class Sample:
    """What the floor needs of the figure's data: its issuer's public key and some of its credentials."""

    public_key: bytes
    credentials: Sequence[str]


@dataclass(frozen=True)
class Clocks:
    """Seconds of one part: on the wall clock (what the floor is made of, as every floor) and in this
    thread's CPU time (the same part where other work on the machine does not count)."""

    wall: float
    cpu: float


def _timed(operation: Callable[[], object], seconds: float) -> tuple[int, Clocks]:
    """Runs of `operation` until `seconds` have passed on the wall clock, and both clocks' total."""
    runs, wall, cpu = 0, time.perf_counter_ns(), time.thread_time_ns()
    while True:
        operation()
        runs += 1
        elapsed = time.perf_counter_ns() - wall
        if elapsed >= seconds * NS_PER_S:
            return runs, Clocks(elapsed / NS_PER_S, (time.thread_time_ns() - cpu) / NS_PER_S)


def first_sight_seconds(sample: Sample, seconds: float) -> Clocks:
    """Seconds per Ed25519 verification of one of the figure's credentials (its compact JWS)."""
    signed = []
    for token in sample.credentials:
        signing_input, _, signature = token.rpartition(".")
        signed.append((sample.public_key, b64url_decode(signature), signing_input.encode("ascii")))

    def verify_all() -> None:
        for arguments in signed:
            verify_ed25519(*arguments)

    runs, total = _timed(verify_all, seconds)
    return Clocks(total.wall / (runs * len(signed)), total.cpu / (runs * len(signed)))


_Keys = tuple[list[str], list[tuple[str, str]], list[str]]


def _keys(part: Sequence[dict[str, str]]) -> _Keys:
    """A chunk's certificate ids, (programme, licence number) pairs and normalised GTINs, as sent."""
    ids = [line["certificate_id"] for line in part if "certificate_id" in line]
    licences = [(line["programme"], line["licence_number"]) for line in part if "licence_number" in line]
    gtins = [normalise_gtin(line["gtin"]) for line in part if "gtin" in line]
    return ids, licences, gtins


def _read(connection: Connection, keys: _Keys) -> int:
    """A chunk's certificate rows with their credential bytes, as the eligibility path reads them: by
    licence and by GTIN, then the named ids not among those, then the bytes of every row found."""
    ids, licences, gtins = keys
    rows: dict[str, dict[str, Any]] = {}
    for programme, numbers in licences_by_programme(licences).items():
        rows.update((row["id"], row) for row in dicts_among(connection, _BY_LICENCES, numbers, programme=programme))
    rows.update((row["id"], row) for row in dicts_among(connection, _BY_GTINS, gtins))
    rows.update((row["id"], row) for row in dicts_among(connection, _BY_IDS, set(ids).difference(rows)))
    documents = list(tuples_among(connection, _DOCUMENTS, (row["leaf_index"] for row in rows.values())))
    return len(documents)


def read_seconds(engine: Engine, parts: Sequence[Sequence[dict[str, str]]]) -> Clocks:
    """Seconds per line to read the rows and credential bytes `parts` (catalogue chunks) name, once."""
    keys = [_keys(part) for part in parts]
    lines = sum(map(len, parts))
    with engine.connect() as connection:
        _read(connection, keys[-1])  # the pool's connection opened, its statements prepared

        def read_all() -> None:
            for chunk in keys:
                _read(connection, chunk)

        _, total = _timed(read_all, 0)
    return Clocks(total.wall / lines, total.cpu / lines)


def parse_encode_seconds(bodies: Sequence[bytes], answers: Sequence[Any], lines: int, seconds: float) -> Clocks:
    """Seconds per line to parse the request `bodies` and encode the answers' results (keys sorted), in
    passes over all of them until `seconds` have passed."""
    results = [answer["results"] for answer in answers]
    loads, dumps, sort_keys = orjson.loads, orjson.dumps, orjson.OPT_SORT_KEYS

    def one_pass() -> None:
        for body in bodies:
            loads(body)
        for chunk in results:
            dumps(chunk, option=sort_keys)

    passes, total = _timed(one_pass, seconds)
    return Clocks(total.wall / (passes * lines), total.cpu / (passes * lines))


def measure(
    engine: Engine,
    catalogue: Path,
    decisions: Path,
    sample: Sample,
    *,
    request: dict[str, Any],
    chunk_size: int,
    chunk_count: int,
    certificates_per_line: float,
    seconds: float,
) -> Parts:
    """The floor's parts on the figure's database, catalogue and chunk decisions (`request`: the body's
    members other than its items)."""
    parts = list(itertools.islice(chunks(iter_catalogue(catalogue, check=False), chunk_size), chunk_count))
    answers = [orjson.loads((decisions / chunk_file_name(number)).read_bytes()) for number in range(len(parts))]
    bodies = [orjson.dumps({**request, "items": part}) for part in parts]
    lines = sum(map(len, parts))
    return Parts(
        first_sight=first_sight_seconds(sample, seconds),
        per_certificate=certificates_per_line,
        read=read_seconds(engine, parts),
        parse_encode=parse_encode_seconds(bodies, answers, lines, seconds),
    )
