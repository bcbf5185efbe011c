"""A witness's state: for each log (by origin), the latest checkpoint it cosigned, one file per log.

    <state>/<hex SHA-256 of the origin>.checkpoint    the note: the log's signature(s) and this witness's

The file is also exactly what the monitoring endpoint serves (tlog-witness "Monitor Retrieval
Mechanism"). Checking a submission against the stored size and storing the new checkpoint happen under
one exclusive lock (an `flock` on `<state>/.lock`, so several processes may share the directory), and
the new file is fsynced and renamed into place before the caller answers: the spec requires both, or a
slow request for an old size could roll back a newer cosigned one (tlog-witness "add-checkpoint").
Refused checkpoints that carry a valid log signature are kept under `evidence/`, as the spec allows:
two signed checkpoints of one size with different roots prove that the log forked.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from verification.client.files import write_atomically


def origin_hash(origin: str) -> str:
    """Lowercase hex SHA-256 of the origin line, as the monitoring prefix names a log (tlog-witness)."""
    return hashlib.sha256(origin.encode("utf-8")).hexdigest()


class WitnessState:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        (directory / "evidence").mkdir(exist_ok=True, mode=0o700)
        self._threads = threading.Lock()

    def path(self, origin: str) -> Path:
        return self.directory / f"{origin_hash(origin)}.checkpoint"

    def latest(self, origin: str) -> str | None:
        """The note of the latest checkpoint cosigned for this log, or None if it never cosigned one."""
        try:
            return self.path(origin).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def latest_by_hash(self, hashed: str) -> str | None:
        if len(hashed) != 64 or any(ch not in "0123456789abcdef" for ch in hashed):
            return None
        try:
            return (self.directory / f"{hashed}.checkpoint").read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across threads and processes: check and store inside it."""
        with self._threads, (self.directory / ".lock").open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def store(self, origin: str, note: str) -> None:
        """Persist durably (fsync the file, then the directory) before anyone is told."""
        write_atomically(self.path(origin), note.encode("utf-8"), mode=0o600)

    def keep_evidence(self, origin: str, note: str) -> Path:
        name = f"{origin_hash(origin)}-{hashlib.sha256(note.encode()).hexdigest()[:16]}.checkpoint"
        path = self.directory / "evidence" / name
        write_atomically(path, note.encode("utf-8"), mode=0o600)
        return path
