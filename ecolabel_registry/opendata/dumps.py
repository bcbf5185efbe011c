"""Writing a dump: every dataset as CSV and JSON Lines, read in one snapshot at one checkpoint, and a
manifest of their SHA-256 hashes signed with the registry's key (the key of its checkpoints).

    manifest = write_dump(engine, key, Path("var/dumps"), now_us=now)              # everything, at the head
    manifest = write_dump(engine, key, Path("var/dumps"), since=1200, now_us=now)  # what 1200.. changed

A dump directory is named after its checkpoint (and start, when incremental) and written under a
temporary name first, then renamed: a reader never sees half a dump. `ecolabel-verify dump` checks one
offline; docs/FORMATS.md describes the files.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from ecolabel_registry.db.engine import read_snapshot
from ecolabel_registry.errors import BadRequest, InternalError
from ecolabel_registry.log.repository import read_head
from ecolabel_registry.opendata.datasets import DATASETS, Collected, Row, Window, rows
from verification.b64 import b64url_decode
from verification.canonical import dumps_canonical
from verification.dump import FORMAT, MANIFEST_NAME, MANIFEST_TYP, DumpFile, DumpManifest
from verification.jwk import PublicKey
from verification.jws import sign_compact
from verification.leaf import format_log_time, parse_log_time
from verification.spreadsheet import spreadsheet_cell

MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/jsonl"}


def dump_name(tree_size: int, since: int | None) -> str:
    return f"dump-{tree_size:012d}" if since is None else f"dump-{since:012d}-{tree_size:012d}"


def write_dump(
    engine: Engine, signing_key: Ed25519PrivateKey, directory: Path, *, since: int | None = None, now_us: int
) -> DumpManifest:
    """Write a dump of the log's head (everything, or what leaves from `since` on added or changed),
    signed with the registry's key (its checkpoints' key; the log origin is the checkpoint's first line)."""
    with read_snapshot(engine) as connection:
        head = read_head(connection)
        if head.checkpoint is None:
            raise InternalError("the log head has no signed checkpoint yet")
        if since is not None and since > head.tree_size:
            raise BadRequest(f"since {since} is beyond the log's size {head.tree_size}", code="SINCE_BEYOND_HEAD")
        final = directory / dump_name(head.tree_size, since)
        if (final / MANIFEST_NAME).is_file():
            return _existing(final)
        work = directory / f".{final.name}.{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        window = Window(since or 0, head.tree_size, head.last_integrated_us)
        collected = Collected()
        files = []
        for dataset in DATASETS:
            files.extend(_write_dataset(work, dataset, rows(connection, dataset, window, collected)))
    manifest = DumpManifest(
        type="DumpManifest",
        format=FORMAT,
        issuer=head.checkpoint.split("\n", 1)[0],
        checkpoint=head.checkpoint,
        tree_size=head.tree_size,
        since=since,
        created_at=format_log_time(now_us),
        files=files,
    )
    kid = PublicKey.from_private_key(signing_key).kid  # the kid of the registry's JWKS, as for decisions
    token = sign_compact(dumps_canonical(manifest.model_dump(mode="json")), signing_key, kid, MANIFEST_TYP)
    (work / MANIFEST_NAME).write_text(token + "\n", encoding="ascii")
    try:
        work.rename(final)
    except OSError:  # another process wrote the same dump first: the same checkpoint, the same data
        shutil.rmtree(work, ignore_errors=True)
    return _existing(final)


def _existing(path: Path) -> DumpManifest:
    token = (path / MANIFEST_NAME).read_text(encoding="ascii").strip()
    payload = b64url_decode(token.split(".")[1], what="dump manifest payload")
    return DumpManifest.model_validate(orjson.loads(payload))


def _write_dataset(work: Path, dataset: str, found: Iterable[Row]) -> list[DumpFile]:
    csv_path, jsonl_path = work / f"{dataset}.csv", work / f"{dataset}.jsonl"
    count = 0
    with csv_path.open("w", encoding="utf-8", newline="") as csv_file, jsonl_path.open("wb") as jsonl_file:
        writer: Any = None
        for row in found:
            plain = {name: _plain(value) for name, value in row.items()}
            if writer is None:
                writer = _csv_writer(csv_file, list(plain))
            writer.writerow({name: _cell(value) for name, value in plain.items()})
            jsonl_file.write(orjson.dumps(plain) + b"\n")
            count += 1
    return [_described(path, dataset, count) for path in (csv_path, jsonl_path)]


def _csv_writer(handle: TextIO, names: list[str]) -> Any:
    writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    return writer


def _plain(value: Any) -> Any:
    """JSON values: bytes as base64 (documents are byte-exact), everything else as stored."""
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _cell(value: Any) -> str:
    """A CSV cell: lists and objects as JSON text, booleans as true/false, null as empty; text neutralised
    against spreadsheet formulas (docs/SECURITY.md)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return spreadsheet_cell(orjson.dumps(value).decode())
    if isinstance(value, str):
        return spreadsheet_cell(value)
    return str(value)


def _described(path: Path, dataset: str, count: int) -> DumpFile:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(1_048_576):
            digest.update(chunk)
            size += len(chunk)
    kind = path.suffix.lstrip(".")
    return DumpFile(
        path=path.name, dataset=dataset, media_type=MEDIA_TYPES[kind], rows=count, bytes=size, sha256=digest.hexdigest()
    )


def list_dumps(directory: Path) -> list[DumpManifest]:
    if not directory.is_dir():
        return []
    return [_existing(path) for path in sorted(directory.iterdir()) if (path / MANIFEST_NAME).is_file()]


def due(directory: Path, now_us: int, interval_s: float) -> bool:
    """Whether the newest full dump is older than `interval_s` (or there is none)."""
    full = [m for m in list_dumps(directory) if m.since is None]
    if not full:
        return True
    newest = max(parse_log_time(m.created_at) for m in full)
    return now_us - newest >= interval_s * 1_000_000
