"""Writing the database behind the registry's back, as an intruder with database access could."""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url


def intruder_sql(engine: Engine, statement: str, **params: object) -> None:
    """Plain SQL with foreign keys not enforced, as an intruder who can write the database could."""
    if engine.dialect.name == "sqlite":
        database = make_url(str(engine.url)).database
        assert database is not None
        with sqlite3.connect(database) as raw:  # a plain connection: foreign keys are off by default
            raw.execute(statement, params)
        return
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))  # triggers (and FKs) off
        connection.execute(text(statement), params)
