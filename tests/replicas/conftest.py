"""A real hot standby of the local PostgreSQL cluster for the read-routing tests, made as the layout makes one.

It is a standby of the whole cluster (pg_basebackup), so the per-worker test database the other fixtures
create on the primary is on it too. A machine that cannot make one fails these tests: they never skip.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from ecolabel_registry.demo import standby as standbys
from tests.conftest import _postgres_admin_url

WAIT_S = 300  # a shared, loaded machine: base backups and replay can take minutes


@pytest.fixture(scope="session")
def standby() -> Iterator[standbys.Cluster]:
    try:
        cluster = standbys.create_standby(_postgres_admin_url())
    except standbys.StandbyError as exc:
        pytest.fail(f"could not make a hot standby of the local PostgreSQL: {exc}")
    try:
        yield cluster
    finally:
        cluster.remove()


def replica_url(cluster: standbys.Cluster, primary_url: str) -> str:
    """The same database as `primary_url`, on the standby."""
    return cluster.url(make_url(primary_url).database or "postgres")


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    """Poll until `condition()` is truthy: replication is asynchronous, so the tests wait, never sleep blind."""
    deadline = time.monotonic() + WAIT_S
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {WAIT_S} s waiting for {what}")
        time.sleep(0.1)
    return value


def replica_health(client: TestClient | httpx.Client) -> dict[str, Any]:
    """The one replica as /healthz measures it now."""
    replicas: list[dict[str, Any]] = client.get("/healthz").json()["replicas"]
    assert len(replicas) == 1
    return replicas[0]


def reads_served(client: TestClient | httpx.Client) -> dict[str, float]:
    """`ecolabel_database_reads_total` by database, from /metrics."""
    served: dict[str, float] = {}
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("ecolabel_database_reads_total{"):
            database = line.split('database="', 1)[1].split('"', 1)[0]
            served[database] = float(line.rsplit(" ", 1)[1])
    return served
