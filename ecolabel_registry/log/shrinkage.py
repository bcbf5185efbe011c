"""Never run on a log shorter than one already shown to the world (`LOG_SHRANK`).

After a failover to an asynchronous standby, the promoted database may lack the last entries the old
primary committed, signed checkpoints for and handed out receipts for. Appending to it would give the
next documents the leaf indexes of those receipts: two different documents, one index, both under a
registry-signed checkpoint, which is exactly the split view the log exists to rule out.

So `serve` and `worker` check before they start: the database's log must be at least as large as

- the newest checkpoint this registry recorded outside the database (`ECOLABEL_CHECKPOINT_RECORD_PATH`,
  written by the worker on every turn, and verified under the registry's own key when read), and
- the tree size each configured witness holds for this log (asked with a tlog-witness `add-checkpoint`
  of the current checkpoint: a witness that holds another size answers 409 with its size).

If it is not, they refuse to start with `LOG_SHRANK`, naming both sizes. The operator restores the
missing entries (from the old primary, or re-submits the documents) before starting again: see
docs/DEPLOYMENT.md, "Failover". Synchronous replication makes this impossible in the first place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ecolabel_registry.db.engine import autocommit_connection
from ecolabel_registry.errors import ConfigurationError
from ecolabel_registry.log import repository
from ecolabel_registry.settings import WitnessEndpoint
from verification.checkpoint import parse_checkpoint_text, verify_checkpoint
from verification.client.files import write_atomically
from verification.errors import VerificationError
from verification.note import NoteVerifier, split_note

_log = logging.getLogger("ecolabel_registry.shrinkage")
CODE = "LOG_SHRANK"


class LogShrank(ConfigurationError):
    """The database's log is shorter than a checkpoint the registry signed or a witness holds."""

    code = CODE


@dataclass(frozen=True)
class Evidence:
    """Who says the log was larger: the checkpoint record, or a witness by name; and the size they hold."""

    source: str
    tree_size: int


def remember(path: Path, note: str, verifier: NoteVerifier) -> int:
    """Record this signed checkpoint outside the database if it is larger than the one recorded; the size kept."""
    size = parse_checkpoint_text(split_note(note)[0]).tree_size
    recorded = recorded_size(path, verifier)
    if recorded is not None and recorded >= size:
        return recorded
    write_atomically(path, note.encode("utf-8"))
    return size


def recorded_size(path: Path, verifier: NoteVerifier) -> int | None:
    """The tree size of the recorded checkpoint, if there is one signed by this registry."""
    try:
        note = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return verify_checkpoint(note, verifier).tree_size
    except VerificationError as exc:
        raise ConfigurationError(f"{path} does not hold a checkpoint signed by this registry: {exc}") from exc


def check(
    engine: Engine,
    *,
    record: Path,
    verifier: NoteVerifier,
    witnesses: tuple[WitnessEndpoint, ...] = (),
    client: httpx.Client | None = None,
) -> int | None:
    """The database's tree size, after checking no record or witness holds a larger one (else `LogShrank`).

    None when the database cannot be read (down, or not migrated yet): there is no log to protect yet, and
    `/healthz` reports the database; the check runs again at the next start."""
    try:
        with autocommit_connection(engine) as connection:
            head = repository.read_head(connection)
    except SQLAlchemyError as exc:
        _log.warning("the log size was not checked: the database could not be read (%s)", type(exc).__name__)
        return None
    evidence: list[Evidence] = []
    recorded = recorded_size(record, verifier)
    if recorded is not None:
        evidence.append(Evidence(f"the checkpoint record {record}", recorded))
    if witnesses and client is not None and head.checkpoint is not None:
        evidence += [e for w in witnesses if (e := _witness_size(client, w, head.tree_size, head.checkpoint))]
    larger = [e for e in evidence if e.tree_size > head.tree_size]
    if larger:
        said = "; ".join(f"{e.source} holds tree size {e.tree_size:,}" for e in larger)
        raise LogShrank(
            f"{CODE}: the database's log has {head.tree_size:,} entries, fewer than the registry has already "
            f"signed and shown ({said}). Appending now would re-issue leaf indexes that receipts already name. "
            "Restore the missing entries (e.g. from the old primary) before starting; see docs/DEPLOYMENT.md, "
            f"Failover. (A development database reset on purpose: delete {record} too.)"
        )
    return head.tree_size


def _witness_size(client: httpx.Client, witness: WitnessEndpoint, size: int, note: str) -> Evidence | None:
    """The size the witness holds: asked by submitting the current checkpoint as if it held exactly that."""
    try:
        answer = client.post(f"{witness.url}/add-checkpoint", content=f"old {size}\n\n{note}".encode())
    except httpx.HTTPError as exc:
        _log.warning("witness %s is unreachable; the log size is checked without it: %s", witness.key.name, exc)
        return None
    if answer.status_code == 200:
        return Evidence(f"witness {witness.key.name}", size)
    text = answer.text
    if answer.status_code == 409 and text.endswith("\n") and text[:-1].isdigit() and len(text) <= 21:
        return Evidence(f"witness {witness.key.name}", int(text[:-1]))
    _log.warning("witness %s answered %d to the size check; ignored", witness.key.name, answer.status_code)
    return None
