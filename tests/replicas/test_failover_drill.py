"""The failover drill: promote the standby while clients write, and lose nothing a client was told.

Each drill runs on a primary of its own (a cluster made for it), never on the shared local one: it
reconfigures replication and kills the primary. Clients write certificates through a live server; the
primary is stopped hard (`-m immediate`, as a crash) while they do, and the standby is promoted.

- Synchronous replication (synchronous_standby_names names the standby): a commit is acknowledged only
  once the standby has the WAL, so every receipt a client holds names a leaf the promoted log has.
- Asynchronous replication: the standby may lack the newest entries. Here it is cut off (its WAL receiver
  stopped) before the last writes, so it certainly does; the worker has recorded the newest signed
  checkpoint outside the database, and `serve` refuses to start on the shorter log with LOG_SHRANK.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from ecolabel_registry.db.migrate import upgrade
from ecolabel_registry.demo import standby as standbys
from ecolabel_registry.settings import Settings
from tests.registry.conftest import ADMIN_TOKEN, LOG_ORIGIN
from tests.registry.factories import Certifier, certifier
from tests.registry.live import live_servers, server_environment
from tests.replicas.conftest import wait_for

pytestmark = pytest.mark.slow

DATABASE = "drill"


@dataclass(frozen=True)
class Pair:
    primary: standbys.Cluster
    standby: standbys.Cluster


@pytest.fixture
def pair() -> Iterator[Pair]:
    """A primary of its own, with the drill's database migrated, and a hot standby of it."""
    made: list[standbys.Cluster] = []
    try:
        primary = standbys.create_primary()
        made.append(primary)
        _execute(primary, f'CREATE DATABASE "{DATABASE}"')
        upgrade(primary.url(DATABASE))
        standby = standbys.create_standby(primary.url("postgres"))
        made.append(standby)
    except standbys.StandbyError as exc:
        for cluster in made:
            cluster.remove()
        pytest.fail(f"could not make a primary and a standby on this machine: {exc}")
    try:
        yield Pair(primary, standby)
    finally:
        for cluster in reversed(made):
            cluster.remove()


def _execute(cluster: standbys.Cluster, statement: str, database: str = "postgres") -> list[tuple[object, ...]]:
    engine = create_engine(cluster.url(database), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            result = connection.execute(text(statement))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def _settings(url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=url,
        admin_token=ADMIN_TOKEN,
        signing_key_path=tmp_path / "registry-key.pem",
        admin_token_path=tmp_path / "admin-token",
        log_origin=LOG_ORIGIN,
    )


class Writers:
    """Clients writing certificates in threads until the registry stops answering; the receipts they hold."""

    def __init__(self, url: str, body: Certifier, count: int = 3) -> None:
        self.receipts: list[tuple[int, bytes]] = []  # (leaf index, leaf hash) of every acknowledged write
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write, args=(url, body, n)) for n in range(count)]

    def __enter__(self) -> Writers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def held(self) -> int:
        with self._lock:
            return len(self.receipts)

    def _write(self, url: str, body: Certifier, writer: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            for number in range(1, 1000):
                if self._stop.is_set():
                    return
                try:
                    answer = client.post(
                        "/v1/certificates", json={"credential": body.credential(f"IT/{writer}/{number}")}
                    )
                except httpx.HTTPError:
                    return  # the primary is gone: this write was never acknowledged
                if answer.status_code != 201:
                    return
                receipt = answer.json()["receipt"]
                with self._lock:
                    self.receipts.append((receipt["leaf_index"], base64.b64decode(receipt["leaf_hash"])))


def _promoted_log(standby: standbys.Cluster) -> tuple[int, dict[int, bytes]]:
    engine = create_engine(standby.url(DATABASE))
    try:
        with engine.connect() as connection:
            size: int = connection.execute(text("SELECT tree_size FROM log_state WHERE id = 1")).scalar_one()
            rows = connection.execute(text("SELECT leaf_index, leaf_hash FROM log_entries")).all()
    finally:
        engine.dispose()
    return size, {int(index): bytes(leaf_hash) for index, leaf_hash in rows}


def test_with_synchronous_replication_every_receipt_a_client_holds_survives_the_failover(
    pair: Pair, tmp_path: Path
) -> None:
    _execute(pair.primary, f"ALTER SYSTEM SET synchronous_standby_names = '\"{pair.standby.application_name}\"'")
    _execute(pair.primary, "SELECT pg_reload_conf()")
    wait_for(
        lambda: _execute(pair.primary, "SELECT sync_state FROM pg_stat_replication") == [("sync",)],
        "the standby to become the synchronous standby",
    )
    settings = _settings(pair.primary.url(DATABASE), tmp_path)
    (tmp_path / "logs").mkdir()
    with live_servers(settings, 1, tmp_path / "logs") as (server,):
        with httpx.Client(base_url=server.url, timeout=30) as admin:
            body = certifier(admin, {"Authorization": f"Bearer {ADMIN_TOKEN}"}, "eu-ecolabel")
        with Writers(server.url, body) as writers:
            wait_for(lambda: writers.held() >= 30, "the clients to hold 30 receipts")
            pair.primary.stop(immediate=True)  # a crash, in the middle of the clients' writes
            pair.standby.promote()
    size, leaves = _promoted_log(pair.standby)
    assert len(writers.receipts) >= 30
    for leaf_index, leaf_hash in writers.receipts:
        assert leaves.get(leaf_index) == leaf_hash, f"receipt for leaf {leaf_index} is not in the promoted log"
    assert size >= max(index for index, _ in writers.receipts) + 1


def test_with_asynchronous_replication_the_registry_refuses_a_log_shorter_than_it_signed(
    pair: Pair, tmp_path: Path
) -> None:
    settings = _settings(pair.primary.url(DATABASE), tmp_path)
    env = server_environment(settings)
    (tmp_path / "logs").mkdir()
    with live_servers(settings, 1, tmp_path / "logs") as (server,):
        with httpx.Client(base_url=server.url, timeout=30) as admin:
            body = certifier(admin, {"Authorization": f"Bearer {ADMIN_TOKEN}"}, "eu-ecolabel")
            standbys.detach(pair.standby)  # from here on the standby receives nothing: async replication's gap
            with Writers(server.url, body) as writers:
                wait_for(lambda: writers.held() >= 10, "the clients to hold 10 receipts")
        # The worker records the newest signed checkpoint outside the database, as it does on every turn.
        worker = subprocess.run(
            [sys.executable, "-m", "ecolabel_registry.cli", "worker", "--once"],
            check=False,
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert worker.returncode == 0, worker.stderr
    pair.primary.stop(immediate=True)
    pair.standby.promote()
    size, leaves = _promoted_log(pair.standby)
    newest = max(index for index, _ in writers.receipts)
    assert size <= newest  # the promoted log lacks acknowledged entries: receipts name leaves it does not have
    assert any(leaves.get(index) != leaf_hash for index, leaf_hash in writers.receipts)
    assert any(leaves.get(index) != leaf_hash for index, leaf_hash in writers.receipts)
    promoted = {**env, "ECOLABEL_DATABASE_URL": pair.standby.url(DATABASE)}
    refused = subprocess.run(
        [sys.executable, "-m", "ecolabel_registry.cli", "serve", "--port", "1"],
        check=False,
        env=promoted,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1
    assert "LOG_SHRANK" in refused.stderr
    assert f"has {size:,} entries" in refused.stderr
    assert (tmp_path / "latest-checkpoint").exists()
