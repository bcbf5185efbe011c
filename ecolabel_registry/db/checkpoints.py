"""Checkpoints of an SQLite write-ahead log on a thread of their own, off the writers' commits.

SQLite checkpoints a WAL database by itself: a connection whose commit leaves 1,000 frames or more in
the log runs a PASSIVE checkpoint inside that commit (`sqlite3_wal_autocheckpoint`), which copies the
frames into the database file and fsyncs the log and the database file. In a serving process that
connection is nearly always the group-commit writer (`certificates.sequencer`), so every few groups
waited for two more fsyncs than their own. SQLite's documentation of WAL mode ("Checkpointing",
sqlite.org/wal.html) names the remedy: turn automatic checkpoints off and run them on another thread,
so that the thread that writes never blocks on the checkpoint's syncs.

`WalCheckpoints` does that for one engine while it runs: connections the engine opens meanwhile have
`PRAGMA wal_autocheckpoint=0`, and a thread (`wal-checkpoint`), with a connection of its own, runs
`PRAGMA wal_checkpoint(PASSIVE)` every `interval_s`. PASSIVE never waits for readers or writers and
never invokes the busy handler: it copies what no reader still needs and returns. That is the bulk of a
checkpoint's work (the page copies and the database file's fsync), and no writer waits for it.

It does not keep the log short by itself. The log restarts from its beginning only when a write
transaction begins while every frame is copied and no reader uses the log (sqlite.org/wal.html):
SQLite's own checkpoint ran in the commit, so the same connection's next transaction found it so; under
a steady stream of commits a checkpoint on another thread nearly always ends with a newer commit not
copied yet, and the log grew past 20,000 frames in a minute of commits (BENCHMARKS.md). So once the log
holds `restart_frames`, the thread follows the PASSIVE with `wal_checkpoint(RESTART)`: it takes the
writers' lock, copies the few frames committed during the PASSIVE, waits for readers of the log to
finish (at most `restart_wait_ms`; else it is tried again next time) and lets the next writer start the
log afresh. Writers wait for that short step once every `restart_frames`, instead of for a whole
checkpoint every 1,000 frames. The log's file then holds at most `restart_frames` and what is committed
during a pass and the interval after it (about 80 MB in a loop of commits, BENCHMARKS.md), and is reused
from its start after each restart.

Durability is unchanged: a commit is durable when its frames are in the log and fsynced
(`synchronous=FULL`, set in `db.engine`), which the committing connection does before COMMIT returns.
A checkpoint only copies committed, synced frames into the database file; a crash during one leaves
the log, which the next connection replays. Several processes on one file may each run this thread:
one checkpoint runs at a time (SQLite's checkpoint lock), and PASSIVE answers "busy" to the others.

Engines that live briefly (the command line's) keep SQLite's automatic checkpoints: nothing runs this
thread for them, so nothing writes with automatic checkpoints off and no checkpoint thread.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any, NamedTuple

from sqlalchemy import Engine, event

from ecolabel_registry.db.engine import is_sqlite

_log = logging.getLogger(__name__)

THREAD_NAME = "wal-checkpoint"
# How often the log is copied into the database file, off the writers' path: each copy costs two fsyncs
# whatever its size, and a quiet registry's last writes are in the database file within a second.
INTERVAL_S = 1.0
# 10,000 frames of 4 KiB pages: 40 MiB, ten times SQLite's automatic threshold, so ten times fewer waits.
RESTART_FRAMES = 10_000
# A RESTART waits this long for the writers' lock and for readers (writers wait on it meanwhile).
RESTART_WAIT_MS = 1_000


class Checkpointed(NamedTuple):
    """What `PRAGMA wal_checkpoint` answered (sqlite3_wal_checkpoint_v2's three outputs)."""

    busy: bool  # another connection held the checkpoint lock, or RESTART could not wait out a writer or reader
    frames: int  # frames in the log
    copied: int  # frames of it now in the database file, including those copied before


class WalCheckpoints:
    """Checkpoints of `engine`'s SQLite database on the thread `wal-checkpoint`; see the module docstring."""

    def __init__(
        self,
        engine: Engine,
        *,
        interval_s: float = INTERVAL_S,
        restart_frames: int = RESTART_FRAMES,
        restart_wait_ms: int = RESTART_WAIT_MS,
    ) -> None:
        if not is_sqlite(engine):
            raise ValueError("only an SQLite database has a write-ahead log to checkpoint")
        self.engine = engine
        self.interval_s = interval_s
        self.restart_frames = restart_frames
        self.restart_wait_ms = restart_wait_ms
        self.passes = 0  # checkpoints run, for tests and metrics
        self.restarts = 0
        self.failures = 0
        self._connection: sqlite3.Connection | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None  # while it runs, between `start` and `close`
        self._restarted_at = -1  # the log's length when the last RESTART succeeded: not again until it moves
        self._lock = threading.Lock()  # one checkpoint at a time: the thread's, or `close`'s last one

    def start(self) -> None:
        """Turn automatic checkpoints off for the connections the engine opens from now on, and start the
        thread. Connections opened before keep theirs: they may checkpoint as before, which is harmless."""
        event.listen(self.engine, "connect", _without_automatic_checkpoints)
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread, checkpoint once more, and dispose of the engine's pool: its connections were
        opened without automatic checkpoints, and the engine, if used again, opens them with."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        event.remove(self.engine, "connect", _without_automatic_checkpoints)
        self.checkpoint()
        with self._lock:
            self._drop_connection()
        self.engine.dispose()

    def checkpoint(self) -> Checkpointed | None:
        """One checkpoint: PASSIVE, then RESTART if the log holds `restart_frames` or more. A failure is
        logged and answered None; the writers do not see it, and the next checkpoint opens a new connection."""
        with self._lock:
            try:
                done = self._passive_then_restart()
            except Exception:  # noqa: BLE001  # the driver's, or the pool's while opening: never the writers'
                self.failures += 1
                _log.exception(
                    "checkpointing the SQLite write-ahead log failed; trying again in %.1f s", self.interval_s
                )
                self._drop_connection()
                return None
            self.passes += 1
            return done

    def _passive_then_restart(self) -> Checkpointed:
        connection = self._own_connection()
        done = _checkpointed(connection, "PASSIVE")
        if done.frames >= self.restart_frames and done.frames != self._restarted_at:
            done = _checkpointed(connection, "RESTART")
            if done.busy:
                _log.info("the SQLite write-ahead log holds %d frames; a writer or reader kept it", done.frames)
            else:
                self.restarts += 1
                self._restarted_at = done.frames
        return done

    def _own_connection(self) -> sqlite3.Connection:
        if self._connection is None:
            pooled = self.engine.raw_connection()  # opened with the engine's pragmas (WAL, synchronous=FULL)
            connection = pooled.driver_connection
            pooled.detach()  # this thread's, closed by `close`
            assert isinstance(connection, sqlite3.Connection)
            # Only RESTART waits on the busy handler (PASSIVE never calls it): bounded, since writers wait too.
            connection.execute(f"PRAGMA busy_timeout={int(self.restart_wait_ms)}")
            self._connection = connection
        return self._connection

    def _drop_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except sqlite3.Error:
                _log.debug("closing the checkpoint connection failed", exc_info=True)
            self._connection = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.checkpoint()


def _checkpointed(connection: sqlite3.Connection, mode: str) -> Checkpointed:
    busy, frames, copied = connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    return Checkpointed(bool(busy), int(frames), int(copied))


def _without_automatic_checkpoints(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
