"""Shared fixtures: every registry test runs against a real SQLite file and a real PostgreSQL database.

Both schemas come from the alembic migrations. SQLite: one migrated template per session, copied per
test. PostgreSQL: one migrated database per xdist worker, emptied and re-seeded between tests (the app
opens its own connections, so a per-test rollback cannot isolate it).

PostgreSQL comes from DATABASE_URL (default: the local server). When it cannot be reached the
PostgreSQL half is skipped with a reason, except under CI, where it fails.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.db.migrate import upgrade

# Prints the figures the reliability tests record (fuzzing counts, ingestion sizes) in the summary.
pytest_plugins = ["tests.reliability.reporting"]

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")
_outcomes: Counter[tuple[str, str]] = Counter()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _postgres_admin_url() -> str:
    url = os.environ.get("DATABASE_URL", DEFAULT_POSTGRES_URL)
    if not url.startswith("postgresql"):
        pytest.fail(f"DATABASE_URL must name a PostgreSQL database, got {make_url(url).get_backend_name()}")
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


class _Seeded:
    """A migrated database plus the rows the migrations seeded, to restore between tests."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.metadata = MetaData()
        self.metadata.reflect(self.engine)
        with self.engine.connect() as connection:
            self.seed = {
                name: [dict(row._mapping) for row in connection.execute(select(table))]
                for name, table in self.metadata.tables.items()
                if name != "alembic_version"
            }

    def reset(self) -> None:
        names = ", ".join(f'"{name}"' for name in self.seed)
        with self.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            for name, rows in self.seed.items():
                if rows:
                    connection.execute(insert(self.metadata.tables[name]), rows)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "registry.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[_Seeded]:
    admin_url = _postgres_admin_url()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        message = f"PostgreSQL at {make_url(admin_url).render_as_string(hide_password=True)} is unreachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message + " (set CI=true to make this a failure)")
    # Unique per process: two suites on one server (a developer's and CI's) must never share a database.
    name = f"ecolabel_test_{_worker()}_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    seeded = _Seeded(url)
    yield seeded
    seeded.engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A freshly migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "registry.sqlite3"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    seeded: _Seeded = request.getfixturevalue("postgres_database")
    seeded.reset()
    return seeded.url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = build_engine(database_url, pool_size=2)
    yield built
    built.dispose()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Runs whole files, longest first: those with a test marked `slow`, then the rest; each by number of tests.

    `make test` hands files to two workers in this order (`--dist loadfile --no-loadscope-reorder`): a long
    file handed out last would run alone while the other worker sits idle. Each file's tests keep their order.
    """
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    counts = Counter(item.path for item in items)
    items.sort(key=lambda item: (item.path not in slow, -counts[item.path]))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        backend = next(
            (b for b in BACKENDS if f"[{b}" in report.nodeid or f"-{b}]" in report.nodeid or f"-{b}-" in report.nodeid),
            None,
        )
        if backend is not None:
            _outcomes[(backend, report.outcome)] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _outcomes:
        return
    terminalreporter.section("database backends")
    for backend in BACKENDS:
        counts = ", ".join(f"{_outcomes[(backend, o)]} {o}" for o in ("passed", "failed", "skipped"))
        terminalreporter.write_line(f"{backend}: {counts}")
