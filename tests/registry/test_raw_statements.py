"""`db.raw.Prebuilt`: a Core select run on the driver's cursor, the same answer as `Connection.execute`."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import JSON, Engine, bindparam, literal_column, select, type_coerce, update

from ecolabel_registry.db.engine import (
    autocommit_connection,
    build_engine,
    read_snapshot,
    single_statements,
    write_connection,
)
from ecolabel_registry.db.models import LogState, Programme
from ecolabel_registry.db.raw import Prebuilt
from tests.registry.wire import statements_sent

programmes = Programme.__table__  # type: ignore[attr-defined]
state = LogState.__table__  # type: ignore[attr-defined]
# The head row the migrations create; `tree_size >= 0` is a literal the select binds itself.
_HEAD = select(state.c.id, state.c.tree_size, state.c.root_hash).where(
    state.c.id == bindparam("id"), state.c.tree_size >= 0
)


def test_a_row_is_the_row_execute_gives_with_the_statements_own_literals_bound(engine: Engine) -> None:
    prebuilt = Prebuilt(_HEAD)
    with read_snapshot(engine) as connection:
        expected = dict(connection.execute(_HEAD, {"id": 1}).mappings().one())
        assert prebuilt.first(connection, id=1) == expected
        assert expected["id"] == 1
        assert prebuilt.first(connection, id=2) is None


def test_outside_a_transaction_it_sends_the_select_alone(engine: Engine) -> None:
    prebuilt = Prebuilt(_HEAD)
    with statements_sent(engine) as sent, autocommit_connection(engine) as connection:
        assert prebuilt.first(connection, id=1) is not None
    statements = [s for s in sent if s.strip(" ;")]
    assert len(statements) == 1, statements
    assert statements[0].upper().startswith("SELECT")


def test_a_column_the_driver_would_return_unprocessed_is_refused(engine: Engine) -> None:
    # JSON is text on SQLite, decoded by SQLAlchemy: the driver's value would be a string, not a list.
    # psycopg decodes JSON itself, so on PostgreSQL the same column is read as it is.
    prebuilt = Prebuilt(select(programmes.c.countries))
    with read_snapshot(engine) as connection:
        if engine.dialect.name == "sqlite":
            with pytest.raises(TypeError, match="countries"):
                prebuilt.first(connection)
        else:
            assert prebuilt.first(connection) is None  # compiled and run: no programme registered yet


def test_dicts_are_the_rows_execute_gives_with_json_decoded_as_execute_decodes_it(engine: Engine) -> None:
    # A JSON column is text on SQLite, decoded by SQLAlchemy's result processor; `dicts` applies it too.
    # On PostgreSQL `dicts` reads it as its text and decodes it with the engine's loader, as psycopg would.
    text = """'["IT", "FR"]'""" + ("::json" if engine.dialect.name == "postgresql" else "")  # as a JSON column is
    markets = type_coerce(literal_column(text), JSON).label("markets")
    statement = select(state.c.id, state.c.tree_size, markets).where(state.c.id == bindparam("id"))
    prebuilt = Prebuilt(statement)
    with read_snapshot(engine) as connection:
        expected = [dict(row) for row in connection.execute(statement, {"id": 1}).mappings()]
        assert prebuilt.dicts(connection, id=1) == expected
        assert prebuilt.dicts(connection, id=2) == []
        assert expected[0]["markets"] == ["IT", "FR"]
        if engine.dialect.name == "sqlite":
            with pytest.raises(TypeError, match="markets"):
                prebuilt.first(connection, id=1)


def test_single_statements_read_what_another_connection_committed_each_time(engine: Engine) -> None:
    # On SQLite the connection is this thread's own, kept across reads: it must still see every commit.
    prebuilt, other = Prebuilt(_HEAD), build_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    try:
        for size in (7, 8):
            with write_connection(other) as writer:
                writer.execute(update(state).where(state.c.id == 1).values(tree_size=size))
            with single_statements(engine) as connection:
                row = prebuilt.first(connection, id=1)
            assert row is not None
            assert row["tree_size"] == size
    finally:
        other.dispose()


def test_single_statements_keep_one_connection_per_thread_on_sqlite_and_a_reader_outside_the_pool_on_postgresql(
    engine: Engine,
) -> None:
    if engine.dialect.name != "sqlite":
        # A reader: kept in autocommit beside the pool, given back after the block and borrowed again.
        before = engine.pool.checkedout()  # type: ignore[attr-defined]
        with single_statements(engine) as borrowed:
            assert engine.pool.checkedout() == before  # type: ignore[attr-defined]
            assert borrowed.driver_connection.autocommit is True
            assert Prebuilt(_HEAD).first(borrowed, id=1) is not None
        with single_statements(engine) as again:
            assert again.driver_connection is borrowed.driver_connection
            # Nested: the second reader is another connection (at most the pool's size of them, then the pool).
            with single_statements(engine) as inner, single_statements(engine) as beyond:
                assert inner.driver_connection is not again.driver_connection
                assert engine.pool.checkedout() == before + 1  # type: ignore[attr-defined]
                assert Prebuilt(_HEAD).first(beyond, id=1) is not None
        engine.dispose()
        assert borrowed.driver_connection.closed
        return
    with single_statements(engine) as first, single_statements(engine) as again:
        assert first.driver_connection is again.driver_connection
    seen: list[object] = []

    def elsewhere() -> None:
        with single_statements(engine) as connection:
            seen.append(connection.driver_connection)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert len(seen) == 1
    assert seen[0] is not first.driver_connection
    engine.dispose()
    with single_statements(engine) as after:
        assert after.driver_connection is not first.driver_connection
        assert Prebuilt(_HEAD).first(after, id=1) is not None
