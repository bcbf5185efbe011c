"""`db.raw.Prebuilt`: a Core select run on the driver's cursor, the same answer as `Connection.execute`."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, bindparam, select

from ecolabel_registry.db.engine import autocommit_connection, read_snapshot
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
