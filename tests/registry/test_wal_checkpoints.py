"""The SQLite write-ahead log checkpointed on its own thread (`db.checkpoints`), not in the writers' commits.

Real SQLite files, migrated from the template: while the thread runs, the engine's connections do not
checkpoint (the log grows without it), its checkpoints keep the log short, nothing written is lost, a
failing checkpoint is logged and leaves the writes alone, and `close` stops the thread and gives the
engine SQLite's own checkpoints back. The app runs it on SQLite and starts nothing on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ecolabel_registry.app import create_app
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.checkpoints import THREAD_NAME, WalCheckpoints
from ecolabel_registry.db.engine import build_engine, write_connection
from ecolabel_registry.settings import Settings

WAIT_S = 60  # only a bound on a hang: every wait below ends as soon as the thread acts
ROWS_PER_WRITE = 100
PAYLOAD_BYTES = 4_000  # about a page a row: a write is ~100 frames
HOURS = 3_600.0  # an interval the thread never reaches in a test that checkpoints by itself


@pytest.fixture
def path(tmp_path: Path, sqlite_template: Path) -> Path:
    copied = tmp_path / "registry.sqlite3"
    shutil.copyfile(sqlite_template, copied)
    return copied


@pytest.fixture
def engine(path: Path) -> Iterator[Engine]:
    built = build_engine(f"sqlite:///{path}", pool_size=2)
    with write_connection(built) as connection:
        connection.execute(text("CREATE TABLE wal_filler (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)"))
    yield built
    built.dispose()


@pytest.fixture
def checkpoints(engine: Engine) -> Iterator[Callable[..., WalCheckpoints]]:
    made: list[WalCheckpoints] = []

    def make(**options: Any) -> WalCheckpoints:
        made.append(WalCheckpoints(engine, **options))
        return made[-1]

    yield make
    for each in made:
        each.close()


def _payload(number: int) -> bytes:
    return hashlib.sha256(str(number).encode()).digest() * (PAYLOAD_BYTES // 32)


def _write(engine: Engine, first: int) -> int:
    rows = [{"id": n, "payload": _payload(n)} for n in range(first, first + ROWS_PER_WRITE)]
    with write_connection(engine) as connection:
        connection.execute(text("INSERT INTO wal_filler (id, payload) VALUES (:id, :payload)"), rows)
    return first + ROWS_PER_WRITE


def _wal_bytes(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def _all_rows_there(path: Path, count: int) -> None:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT id, payload FROM wal_filler ORDER BY id").fetchall()
    assert [row[0] for row in rows] == list(range(count))
    assert all(payload == _payload(number) for number, payload in rows)


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "the checkpoint thread never acted"
        time.sleep(0.001)


def _two_more_passes(wal: WalCheckpoints) -> None:
    """Waits until a whole pass has begun and ended after now."""
    target = wal.passes + 2
    _wait_until(lambda: wal.passes >= target)


def _autocheckpoint(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def test_checkpoints_keep_the_log_short_and_lose_nothing(
    engine: Engine, path: Path, checkpoints: Callable[..., WalCheckpoints]
) -> None:
    wal = checkpoints(interval_s=HOURS)
    wal.start()
    engine.dispose()  # the fixture's connection was opened before: it would still checkpoint by itself
    written = 0
    for _ in range(20):  # ~2,000 frames, twice SQLite's automatic threshold
        written = _write(engine, written)
        done = wal.checkpoint()
        assert done is not None
        assert (done.busy, done.copied) == (False, done.frames)
    checkpointed = _wal_bytes(path)
    for _ in range(20):  # the same writes without a checkpoint: nothing else copies the log now
        written = _write(engine, written)
    assert checkpointed * 5 < _wal_bytes(path), "the engine's own connections still checkpoint"
    wal.close()
    _all_rows_there(path, written)


def test_the_thread_checkpoints_until_closed_and_gives_back_automatic_checkpoints(
    engine: Engine, path: Path, checkpoints: Callable[..., WalCheckpoints]
) -> None:
    assert _autocheckpoint(engine) == 1000  # SQLite's default, for every engine that runs no thread
    engine.dispose()
    wal = checkpoints(interval_s=0.001)
    wal.start()
    assert _autocheckpoint(engine) == 0
    assert [thread.name for thread in threading.enumerate()].count(THREAD_NAME) == 1
    written = 0
    for _ in range(5):
        written = _write(engine, written)
        _two_more_passes(wal)
    with sqlite3.connect(path) as reader:
        busy, frames, copied = reader.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert (busy, frames) == (0, copied)
    assert frames < 2 * ROWS_PER_WRITE  # the log restarted after each checkpoint: one write's frames
    wal.close()
    assert THREAD_NAME not in [thread.name for thread in threading.enumerate()]
    assert _autocheckpoint(engine) == 1000
    _all_rows_there(path, written)


def test_a_failing_checkpoint_is_logged_and_the_writes_go_on(
    engine: Engine, path: Path, checkpoints: Callable[..., WalCheckpoints], caplog: pytest.LogCaptureFixture
) -> None:
    wal = checkpoints(interval_s=0.001)
    assert wal.checkpoint() is not None  # opens the thread's connection, refused its PRAGMA below
    refusing = wal._connection  # the real connection, made to fail as a broken one would
    assert refusing is not None
    refusing.set_authorizer(lambda action, *_: sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_PRAGMA else 0)
    with caplog.at_level(logging.ERROR, logger="ecolabel_registry.db.checkpoints"):
        wal.start()
        _wait_until(lambda: wal.failures > 0)
        written = _write(engine, _write(engine, 0))  # committed while the checkpoint fails
    assert any("checkpointing the SQLite write-ahead log failed" in r.getMessage() for r in caplog.records)
    _two_more_passes(wal)  # on a new connection: the thread went on
    assert wal.failures == 1
    wal.close()
    _all_rows_there(path, written)


def test_a_long_log_is_restarted_once_readers_let_it(
    engine: Engine, path: Path, checkpoints: Callable[..., WalCheckpoints]
) -> None:
    wal = checkpoints(interval_s=HOURS, restart_frames=ROWS_PER_WRITE, restart_wait_ms=0)
    wal.start()
    engine.dispose()
    written = _write(engine, 0)
    with sqlite3.connect(path, isolation_level=None) as reader:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM wal_filler").fetchone()  # a snapshot that pins the log
        written = _write(engine, written)
        done = wal.checkpoint()
        assert done is not None
        assert done.busy  # RESTART could not wait out the reader
        assert wal.restarts == 0
        reader.execute("COMMIT")
    done = wal.checkpoint()
    assert done is not None
    assert (done.busy, done.copied) == (False, done.frames)
    assert wal.restarts == 1
    long = done.frames
    assert wal.checkpoint() == done  # nothing written since: no second RESTART to wait for
    assert wal.restarts == 1
    written = _write(engine, written)  # the first write after a RESTART starts the log afresh
    done = wal.checkpoint()
    assert done is not None
    assert done.frames < long  # one write's frames, not three
    wal.close()
    _all_rows_there(path, written)


def test_the_app_checkpoints_on_its_own_thread_on_sqlite_only(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        context: RegistryContext = client.app.state.registry  # type: ignore[attr-defined]  # Starlette's app
        running = [thread.name for thread in threading.enumerate()].count(THREAD_NAME)
        if context.engine.dialect.name == "sqlite":
            assert context.wal_checkpoints is not None
            assert running == 1
        else:
            assert context.wal_checkpoints is None
            assert running == 0
            with pytest.raises(ValueError, match="write-ahead log"):
                WalCheckpoints(context.engine)
    assert THREAD_NAME not in [thread.name for thread in threading.enumerate()]
