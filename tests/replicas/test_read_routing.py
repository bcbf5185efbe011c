"""Reads on a real hot standby: routing, read-your-writes with X-Min-Tree-Size, and the lag limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from certifiers.client import CertifierClient
from ecolabel_registry.app import create_app
from ecolabel_registry.demo import standby as standbys
from ecolabel_registry.settings import Settings
from tests.registry.conftest import ADMIN_TOKEN, LOG_ORIGIN
from tests.registry.factories import Certifier, certifier
from tests.registry.live import live_servers
from tests.replicas.conftest import reads_served, replica_health, replica_url, wait_for
from verification.checkpoint import parse_checkpoint_text
from verification.client import RegistryClient
from verification.note import split_note


def _client(primary_url: str, cluster: standbys.Cluster, tmp_path: Path, max_lag: float) -> TestClient:
    return TestClient(create_app(_settings(primary_url, cluster, tmp_path, max_lag)), raise_server_exceptions=False)


def _settings(primary_url: str, cluster: standbys.Cluster, tmp_path: Path, max_lag: float) -> Settings:
    return Settings(
        database_url=primary_url,
        database_replica_urls=(replica_url(cluster, primary_url),),
        replica_max_lag=max_lag,
        replica_check_interval=0.2,
        admin_token=ADMIN_TOKEN,
        signing_key_path=tmp_path / "registry-key.pem",
        admin_token_path=tmp_path / "admin-token",
        log_origin=LOG_ORIGIN,
    )


@pytest.fixture
def primary_url(postgres_database: Any) -> str:
    postgres_database.reset()
    url: str = postgres_database.url
    return url


@pytest.fixture
def client(primary_url: str, standby: standbys.Cluster, tmp_path: Path) -> Iterator[TestClient]:
    with _client(primary_url, standby, tmp_path, max_lag=3600) as test_client:
        yield test_client


@pytest.fixture
def body(client: TestClient) -> Certifier:
    return certifier(client, {"Authorization": f"Bearer {ADMIN_TOKEN}"}, "eu-ecolabel")


@pytest.fixture
def paused(standby: standbys.Cluster) -> Iterator[standbys.Cluster]:
    """The standby with WAL replay paused (pg_wal_replay_pause): it keeps receiving WAL, applies none."""
    standbys.pause_replay(standby)
    try:
        yield standby
    finally:
        standbys.resume_replay(standby)


def _submit(client: TestClient, body: Certifier, licence: str) -> tuple[str, int]:
    """Write a certificate; its id and the tree size of the checkpoint in its receipt."""
    answer = client.post("/v1/certificates", json={"credential": body.credential(licence)})
    assert answer.status_code == 201, answer.text
    receipt = answer.json()["receipt"]
    size = parse_checkpoint_text(split_note(receipt["checkpoint"])[0]).tree_size
    return answer.json()["certificate"]["id"], size


def _caught_up(client: TestClient, size: int) -> bool:
    replica = replica_health(client)
    return bool(replica["in_rotation"] and replica["tree_size"] >= size)


def test_reads_are_served_by_the_replica_and_writes_by_the_primary(client: TestClient, body: Certifier) -> None:
    certificate, size = _submit(client, body, "IT/044/001")
    wait_for(lambda: _caught_up(client, size), "the replica to replay the write")
    before = reads_served(client)
    for _ in range(3):
        assert client.get(f"/v1/certificates/{certificate}").status_code == 200
    assert client.get(f"/v1/verify/certificates/{certificate}").json()["decision"] == "valid"
    after = reads_served(client)
    replica = replica_health(client)["name"]
    assert after.get(replica, 0) - before.get(replica, 0) == 4
    assert after.get("primary", 0) == before.get("primary", 0)
    health = replica_health(client)
    assert health["tree_size"] == size
    assert health["tree_size_lag"] == 0
    assert health["lag_seconds"] is not None


def test_a_client_naming_the_tree_size_it_saw_reads_its_own_write(
    client: TestClient, body: Certifier, paused: standbys.Cluster
) -> None:
    certificate, size = _submit(client, body, "IT/044/002")
    # The paused standby stays in rotation (the lag limit is an hour) but lacks the write: a read that
    # names no tree size is served there and does not see it, which is what proves reads go to the replica.
    assert client.get(f"/v1/certificates/{certificate}").status_code == 404
    assert replica_health(client)["tree_size"] < size
    # The certifier names the size of its receipt's checkpoint: the replica has not reached it, the primary answers.
    seen = {"X-Min-Tree-Size": str(size)}
    assert client.get(f"/v1/certificates/{certificate}", headers=seen).status_code == 200
    checkpoint = client.get("/v1/log/checkpoint", headers=seen).json()
    assert checkpoint["tree_size"] >= size
    standbys.resume_replay(paused)
    wait_for(lambda: _caught_up(client, size), "the replica to replay the write")
    before = reads_served(client)
    assert client.get(f"/v1/certificates/{certificate}", headers=seen).status_code == 200
    name = replica_health(client)["name"]
    assert reads_served(client).get(name, 0) == before.get(name, 0) + 1  # caught up: the replica serves it


def test_a_malformed_min_tree_size_is_refused(client: TestClient) -> None:
    answer = client.get("/v1/log/checkpoint", headers={"X-Min-Tree-Size": "-1"})
    assert answer.status_code == 400
    assert answer.json()["type"] == "urn:ecolabel-registry:problem:bad-request"


def test_a_replica_further_behind_than_the_limit_leaves_the_rotation_until_it_catches_up(
    primary_url: str, standby: standbys.Cluster, tmp_path: Path, paused: standbys.Cluster
) -> None:
    with _client(primary_url, standby, tmp_path, max_lag=1.0) as client:
        body = certifier(client, {"Authorization": f"Bearer {ADMIN_TOKEN}"}, "eu-ecolabel")
        certificate, size = _submit(client, body, "IT/044/003")
        lagging = wait_for(
            lambda: (h := replica_health(client))["lag_seconds"] > 1.0 and not h["in_rotation"] and h,
            "the paused replica to fall more than a second behind",
        )
        assert lagging["reachable"] is True
        assert lagging["tree_size_lag"] >= 1
        # Out of rotation: a read without any tree size is served by the primary, which has the write.
        assert client.get(f"/v1/certificates/{certificate}").status_code == 200
        metrics = client.get("/metrics").text
        assert f'ecolabel_replica_in_rotation{{replica="{lagging["name"]}"}} 0.0' in metrics
        assert f'ecolabel_replica_lag_seconds{{replica="{lagging["name"]}"}}' in metrics
        assert f'ecolabel_replica_tree_size_lag{{replica="{lagging["name"]}"}}' in metrics
        standbys.resume_replay(paused)
        wait_for(lambda: _caught_up(client, size), "the replica to catch up and come back into rotation")
        name = lagging["name"]
        before = reads_served(client).get(name, 0)
        assert client.get(f"/v1/certificates/{certificate}").status_code == 200
        assert reads_served(client).get(name, 0) == before + 1


def test_the_certifier_and_verify_clients_read_their_own_writes_past_a_lagging_replica(
    primary_url: str, standby: standbys.Cluster, tmp_path: Path, paused: standbys.Cluster
) -> None:
    settings = _settings(primary_url, standby, tmp_path, max_lag=3600)
    (tmp_path / "logs").mkdir()
    with live_servers(settings, 1, tmp_path / "logs") as (server,), httpx.Client(base_url=server.url) as plain:
        with CertifierClient(server.url, admin_token=ADMIN_TOKEN) as certifier_client:
            body = certifier(plain, {"Authorization": f"Bearer {ADMIN_TOKEN}"}, "eu-ecolabel")
            submitted = certifier_client.submit(body.credential("IT/044/004"))
            # A client that names no tree size reads the paused standby, which lacks the write...
            assert plain.get(f"/v1/certificates/{submitted.certificate_id}").status_code == 404
            # ...the certifier client names the size of its last receipt by itself, and reads its write.
            assert certifier_client.get_certificate(submitted.certificate_id).id == submitted.certificate_id
        size = submitted.receipt.leaf_index + 1
        assert plain.get("/v1/log/checkpoint").json()["tree_size"] < size
        with RegistryClient(server.url) as registry:
            registry.saw_tree_size(size)  # as `ecolabel-verify receipt --registry` does with the receipt's size
            assert parse_checkpoint_text(split_note(registry.checkpoint())[0]).tree_size >= size
