"""Alembic environment: the schema is created only from these migrations, in tests too."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import ecolabel_registry.db.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from ecolabel_registry.db.engine import build_engine

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not set")
    engine = build_engine(url, pool_size=1)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run `ecolabel-registry migrate`")
run_migrations_online()
