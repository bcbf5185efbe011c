"""Read replicas: which database answers a read, and how far behind each replica is.

Writes, and every read that must see its own write, go to the primary (`RegistryContext.engine`).
Read-only endpoints ask `RegistryContext.read_engine()`, which asks `ReadRouting.engine_for_read`:

- a replica is in rotation while it is a standby, answers, and is at most `max_lag_s` behind;
- a request carrying `X-Min-Tree-Size: N` (a client that has seen a checkpoint of size N, e.g. in the
  receipt of its own write) is served by a replica in rotation that holds at least N log entries, else
  by the primary; so it never sees a log smaller than one it was shown;
- without the header, any replica in rotation serves (round robin), else the primary.

Every answer that names a checkpoint names the one it was computed at, so staleness is explicit.

How far behind: a checker thread measures each replica every `interval_s` (and `/healthz` on demand).
In tree size, the primary's log size minus the replica's. In seconds, the larger of the standby's own
replay delay (`now() - pg_last_xact_replay_timestamp()` while WAL it has received is not replayed yet)
and the age of the oldest log entry the replica lacks, read from the primary: the second still counts
when the replica has stopped receiving WAL altogether, where the first would read 0.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ecolabel_registry.db.engine import autocommit_connection
from ecolabel_registry.log import repository

_log = logging.getLogger("ecolabel_registry.replicas")

MIN_TREE_SIZE_HEADER = "X-Min-Tree-Size"
# The tree size the client has seen, for this request: set by the request gate (`api.gate`) from the header.
min_tree_size: ContextVar[int | None] = ContextVar("min_tree_size", default=None)

_STANDBY_DELAY = text(
    "SELECT pg_is_in_recovery() AS standby, CASE"
    " WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() IS NULL THEN 0"
    " WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0"
    " ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0)"
    " END AS delay"
)
_ENTRY_TIME = select(repository.entries_table.c.integrated_us).where(
    repository.entries_table.c.leaf_index == bindparam("leaf_index")
)


@dataclass(frozen=True)
class ReplicaStatus:
    """One replica as last measured; `lag_seconds` and the tree sizes are None when it did not answer."""

    name: str
    reachable: bool
    standby: bool
    lag_seconds: float | None
    tree_size: int | None
    tree_size_lag: int | None
    in_rotation: bool


def replica_name(url: str) -> str:
    """host:port/database: enough to tell replicas apart, without the user or any password."""
    parsed = make_url(url)
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


class ReadRouting:
    """The primary and its replicas, each replica's last measurement, and the choice for each read."""

    def __init__(
        self, primary: Engine, replicas: Sequence[tuple[str, Engine]], *, max_lag_s: float, interval_s: float
    ) -> None:
        self.primary = primary
        self.replicas = tuple(replicas)
        self.max_lag_s = max_lag_s
        self.interval_s = interval_s
        self._status: dict[str, ReplicaStatus] = {
            name: ReplicaStatus(name, False, False, None, None, None, False) for name, _ in self.replicas
        }
        self._turn = itertools.count()
        # Reads served, by database ("primary" or a replica's name): per process, for /metrics.
        self.served: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # --- choosing ------------------------------------------------------------------------------------

    def engine_for_read(self, at_least: int | None) -> tuple[str, Engine]:
        """(name, engine) to read from: a replica in rotation holding `at_least` entries, else the primary."""
        candidates = [
            (name, engine)
            for name, engine in self.replicas
            if (status := self._status[name]).in_rotation
            and (at_least is None or (status.tree_size is not None and status.tree_size >= at_least))
        ]
        chosen = candidates[next(self._turn) % len(candidates)] if candidates else ("primary", self.primary)
        self.served[chosen[0]] += 1  # a lost increment under a thread race only undercounts a metric
        return chosen

    def statuses(self) -> list[ReplicaStatus]:
        return [self._status[name] for name, _ in self.replicas]

    # --- measuring -----------------------------------------------------------------------------------

    def check(self) -> list[ReplicaStatus]:
        """Measure every replica now; a replica that fails to answer is out of rotation until it does."""
        with self._lock:
            try:
                with autocommit_connection(self.primary) as connection:
                    primary_size = repository.read_head(connection).tree_size
            except SQLAlchemyError:
                primary_size = None
            for name, engine in self.replicas:
                self._status[name] = self._measure(name, engine, primary_size)
        return self.statuses()

    def _measure(self, name: str, engine: Engine, primary_size: int | None) -> ReplicaStatus:
        try:
            with autocommit_connection(engine) as connection:
                row = connection.execute(_STANDBY_DELAY).one()
                size = repository.read_head(connection).tree_size
        except SQLAlchemyError as exc:
            _log.warning("replica %s did not answer: %s", name, type(exc).__name__)
            return ReplicaStatus(name, False, False, None, None, None, False)
        lag = float(row.delay or 0.0)
        behind = None if primary_size is None else max(0, primary_size - size)
        if behind:
            lag = max(lag, self._age_of_entry(size))
        in_rotation = bool(row.standby) and lag <= self.max_lag_s
        return ReplicaStatus(name, True, bool(row.standby), round(lag, 3), size, behind, in_rotation)

    def _age_of_entry(self, leaf_index: int) -> float:
        """Seconds since the primary integrated this entry (the oldest one the replica lacks)."""
        try:
            with autocommit_connection(self.primary) as connection:
                integrated_us = connection.execute(_ENTRY_TIME, {"leaf_index": leaf_index}).scalar()
        except SQLAlchemyError:
            return 0.0
        return 0.0 if integrated_us is None else max(0.0, time.time() - integrated_us / 1_000_000)

    # --- the checker thread --------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None and self.replicas:
            self.check()
            self._thread = threading.Thread(target=self._run, name="replica-checker", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception:  # noqa: BLE001  (the checker must outlive any one failure; the next round measures again)
                _log.exception("checking the replicas failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval_s + 5)
            self._thread = None

    def dispose(self) -> None:
        self.stop()
        for _, engine in self.replicas:
            engine.dispose()
