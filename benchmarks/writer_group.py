"""The group-commit writer in process: its CPU, wall and statements per group of fresh credentials.

Not a figure: a tool for changes to the writer's path (`certificates.sequencer`, `submission.commit`,
`log.append`). The app is built as `serve` builds it (`create_app`, the collector tuned), on a migrated
SQLite file or a scratch PostgreSQL database, and its programme and category registered through the API;
then one thread checks each group (`Sequencer._check`, outside any clock) and logs it (`Sequencer._commit`,
what the `group-commit` thread runs), each group timed on its own:

- thread CPU (`time.thread_time`) and wall (`time.perf_counter`) of `_commit`;
- statements through SQLAlchemy (`before_cursor_execute` events);
- statements the driver ran: on SQLite each one the library started (`set_trace_callback`, an
  `executemany` counts once a row), on PostgreSQL each psycopg `execute`, `executemany` and COPY.

Statements are counted over the last 10 untimed groups (SQLite's trace costs more than the
statements). Each driver call lets go of the GIL (and takes it back), so the driver's count is that of the writer's
hand-offs. Under `valgrind --tool=callgrind --instr-atstart=no`, `--callgrind` collects the timed groups
alone: their instructions and the exact count of hand-offs (calls of `PyEval_SaveThread`), over `--groups`.
The switching itself (`callgrind_control` in a subprocess, twice a group) is counted too: ~0.39 M
instructions and ~27 hand-offs a group, measured with nothing between the two switches:

    .venv/bin/python -m benchmarks.writer_group --backend sqlite --groups 300
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=cg.out \
        .venv/bin/python -m benchmarks.writer_group --groups 20 --callgrind
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool

from benchmarks import in_process
from benchmarks.credentials import Issuer
from ecolabel_registry import app as registry_app
from ecolabel_registry.certificates.group_members import Certificate, Checked
from ecolabel_registry.certificates.schemas import Outcome
from ecolabel_registry.certificates.sequencer import Sequencer
from ecolabel_registry.db.migrate import upgrade

ADMIN = "writer-group-admin-token"
COUNTED = 10  # groups whose statements are counted: the last of the warm-up, outside every clock
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


@dataclass
class Counts:
    orm: int = 0  # SQLAlchemy's cursor executions
    driver: int = 0  # statements the driver ran
    on: bool = False  # counting the driver's: SQLite's trace expands every statement's SQL (slow)
    connections: dict[int, Any] = field(default_factory=dict)  # SQLite driver connections seen

    def counting(self, on: bool) -> None:
        self.on = on
        for connection in self.connections.values():
            connection.set_trace_callback(self._traced if on else None)

    def _traced(self, _sql: str) -> None:
        self.driver += 1


@contextmanager
def _database(backend: str, directory: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'writer-group.sqlite3'}"
        return
    name = f"writer_group_{int(time.time())}"
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _count_driver_statements(counts: Counts) -> None:
    """Every psycopg statement counted (SQLite's are counted by each connection's trace callback)."""
    cursor: Any = psycopg.Cursor
    execute, executemany, copy = cursor.execute, cursor.executemany, cursor.copy

    def counted_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts.driver += counts.on
        return execute(self, *args, **kwargs)

    def counted_executemany(self: Any, query: Any, params_seq: Any, **kwargs: Any) -> Any:
        params = list(params_seq)
        counts.driver += len(params) * counts.on
        return executemany(self, query, params, **kwargs)

    def counted_copy(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts.driver += counts.on
        return copy(self, *args, **kwargs)

    cursor.execute, cursor.executemany, cursor.copy = counted_execute, counted_executemany, counted_copy


def _instrument(engine: Any, counts: Counts) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _statement(*_args: Any) -> None:
        counts.orm += counts.on

    if engine.dialect.name != "sqlite":
        _count_driver_statements(counts)
        return

    @event.listens_for(engine, "checkout")
    def _checkout(driver_connection: Any, *_args: Any) -> None:
        if id(driver_connection) not in counts.connections:
            counts.connections[id(driver_connection)] = driver_connection
            driver_connection.set_trace_callback(counts._traced if counts.on else None)


def _callgrind(switch: str) -> None:
    """Callgrind's instrumentation on or off for this process (run under `--instr-atstart=no`)."""
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], check=True, capture_output=True)


def run(
    backend: str, groups: int, size: int, warm: int, preload: int = 0, *, callgrind: bool = False
) -> list[dict[str, float]]:
    issuer = Issuer()
    with tempfile.TemporaryDirectory() as workdir, _database(backend, Path(workdir)) as url:
        upgrade(url)
        with in_process.registered_registry(url, Path(workdir), issuer, ADMIN, group_commit_max_items=size) as (
            app,
            client,
        ):
            for start in range(0, preload, 1_000):  # a registry that holds some: its pages are not all cached
                batch = {"credentials": issuer.credentials(10**8 + start, min(1_000, preload - start))}
                assert client.post("/v1/certificates/batch", json=batch).status_code == 200
            context = app.state.registry
            registry_app._tune_collector_for_serving()
            sequencer = Sequencer(max_items=size, max_wait_s=0.0)
            sequencer._context = context
            tokens = issuer.credentials(0, (warm + groups) * size)
            # The pool as a busy server leaves it, several connections idle (handed out in turn), and
            # each group checked just before it is logged, on a connection of the checker's, as there.
            with context.engine.connect(), context.engine.connect(), context.engine.connect():
                pass
            checked = (
                sequencer._check([Certificate(token) for token in tokens[start : start + size]])
                for start in range(0, len(tokens), size)
            )
            counts = Counts()
            _instrument(context.engine, counts)
            rows: list[dict[str, float]] = []
            for number, requests in enumerate(checked):
                counted = warm - COUNTED <= number < warm  # the warm-up's last groups, the writer's statements
                if callgrind and number >= warm:
                    _callgrind("on")
                counts.counting(counted)
                wall, cpu = time.perf_counter(), time.thread_time()
                sequencer._commit(Checked(requests, []))
                cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
                counts.counting(False)
                if callgrind and number >= warm:
                    _callgrind("off")
                for request in requests:
                    assert request.future.result().outcome is Outcome.ACCEPTED
                if number >= warm:
                    rows.append(
                        {"cpu": cpu, "wall": wall, "orm": counts.orm / COUNTED, "driver": counts.driver / COUNTED}
                    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--size", type=int, default=12)
    parser.add_argument("--warm", type=int, default=20, help=f"untimed groups first, at least {COUNTED}")
    parser.add_argument("--preload", type=int, default=0, help="certificates logged in batches first")
    parser.add_argument("--callgrind", action="store_true", help="collect the timed groups alone (callgrind)")
    args = parser.parse_args()
    rows = run(args.backend, args.groups, args.size, args.warm, args.preload, callgrind=args.callgrind)

    def median(key: str) -> float:
        return statistics.median(row[key] for row in rows)

    def mean(key: str) -> float:
        return statistics.fmean(row[key] for row in rows)

    print(
        f"{args.backend} groups={len(rows)} size={args.size}: "
        f"cpu median {median('cpu') * 1e3:.3f} ms (mean {mean('cpu') * 1e3:.3f}), "
        f"wall median {median('wall') * 1e3:.3f} ms (mean {mean('wall') * 1e3:.3f}), "
        f"statements orm {mean('orm'):.1f} driver {mean('driver'):.1f} a group; "
        f"cpu {median('cpu') / args.size * 1e6:.0f} µs a certificate"
    )


if __name__ == "__main__":
    main()
