"""A connection the server closed while it sat idle is replaced before a request uses it (PostgreSQL).

The pool no longer pings before every checkout (`db.engine._check_alive` polls the socket instead), and
the readers of `db.engine.single_statements` live outside the pool: both must still survive a server
that ended their session (a restart, `pg_terminate_backend`, an idle timeout), as `pool_pre_ping` did.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from ecolabel_registry.db.engine import autocommit_connection, build_engine, single_statements
from tests.registry.test_raw_statements import _HEAD, Prebuilt


def _terminate(engine: Engine, pid: int) -> None:
    """End a session from another connection, outside the engine's pool, and wait until it is gone."""
    other = create_engine(engine.url, poolclass=NullPool)
    try:
        with other.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
            for _ in range(200):  # the ended session's farewell reaches its socket as it goes
                gone = text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid")
                if connection.execute(gone, {"pid": pid}).first() is None:
                    return
                time.sleep(0.01)
    finally:
        other.dispose()


@pytest.fixture
def postgresql(postgres_database: Any) -> Iterator[Engine]:
    """The suite's PostgreSQL database alone: a SQLite connection has no server to lose."""
    postgres_database.reset()
    built = build_engine(postgres_database.url, pool_size=2)
    yield built
    built.dispose()


def test_a_pooled_connection_whose_session_ended_is_replaced_at_checkout(postgresql: Engine) -> None:
    with autocommit_connection(postgresql) as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    _terminate(postgresql, pid)
    with autocommit_connection(postgresql) as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid


def test_a_reader_whose_session_ended_is_replaced_when_borrowed(postgresql: Engine) -> None:
    with single_statements(postgresql) as reader:
        pid = reader.driver_connection.info.backend_pid
    _terminate(postgresql, pid)
    with single_statements(postgresql) as reader:
        assert reader.driver_connection.info.backend_pid != pid
        assert Prebuilt(_HEAD).first(reader, id=1) is not None


def test_a_reader_a_failed_statement_left_in_error_is_not_given_back(postgresql: Engine) -> None:
    with single_statements(postgresql) as reader:
        broken = reader.driver_connection

    def fail() -> None:
        with single_statements(postgresql) as reader:
            reader.driver_connection.execute("SELECT * FROM no_such_table")

    with pytest.raises(Exception, match="no_such_table"):
        fail()
    with single_statements(postgresql) as reader:
        # In autocommit a failed statement leaves the session idle: the reader is as good as before.
        assert reader.driver_connection is broken
        assert Prebuilt(_HEAD).first(reader, id=1) is not None
