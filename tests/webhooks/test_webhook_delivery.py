"""Webhooks: signed in the existing format, delivered at least once, retried, parked, never lost."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.settings import Settings
from tests.registry.factories import certifier
from tests.registry.live import server_environment
from tests.webhooks.conftest import Receiver
from tests.webhooks.world import (
    OPERATOR,
    InProcessWorker,
    certificates,
    deliveries,
    subscribe,
    suspend,
)
from verification.jwk import parse_public_jwk
from verification.jws import verify_compact
from verification.note import NoteVerifier
from verification.receipt import Receipt, verify_receipt
from verification.strictjson import loads_strict

pytestmark = pytest.mark.slow


@pytest.fixture
def settings(settings: Settings) -> Settings:  # the receiver listens on loopback, which is refused by default
    return settings.model_copy(
        update={
            "webhook_allow_private": True,
            "webhook_timeout_s": 2.0,
            "webhook_lease_s": 1.0,
            "webhook_backoff_base_s": 0.1,
            "webhook_backoff_max_s": 0.5,
            "webhook_max_attempts": 3,
        }
    )


def _start_worker(settings: Settings, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = server_environment(settings)
    env.update(
        {
            "ECOLABEL_WEBHOOK_ALLOW_PRIVATE": "true",
            "ECOLABEL_WEBHOOK_TIMEOUT_S": str(settings.webhook_timeout_s),
            "ECOLABEL_WEBHOOK_LEASE_S": str(settings.webhook_lease_s),
            "ECOLABEL_WEBHOOK_BACKOFF_BASE_S": str(settings.webhook_backoff_base_s),
            "ECOLABEL_WEBHOOK_BACKOFF_MAX_S": str(settings.webhook_backoff_max_s),
        }
    )
    with (tmp_path / "worker.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "ecolabel_registry.cli", "worker", "--poll", "0.05"], env=env, stdout=log, stderr=log
        )


def test_a_worker_killed_mid_delivery_loses_nothing_and_duplicates_carry_one_key(
    client: TestClient, admin_headers: dict[str, str], receiver: Receiver, settings: Settings, tmp_path: Path
) -> None:
    body = certifier(client, admin_headers, "eu-ecolabel")
    certs = certificates(client, body, 5)
    subscription = subscribe(client, receiver.url, "programme", "eu-ecolabel")
    receiver.stall_first_s = 1.5
    worker = _start_worker(settings, tmp_path)
    try:
        events = [suspend(client, body, cert) for cert in certs[:3]]
        receiver.wait_for(1)
        worker.send_signal(signal.SIGKILL)  # mid-delivery: the receiver is still holding the first request
        worker.wait()
        events += [suspend(client, body, cert) for cert in certs[3:]]
        worker = _start_worker(settings, tmp_path)
        receiver.wait_for(5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=15)

    delivered = deliveries(client, subscription)
    assert {d["idempotency_key"] for d in delivered} == receiver.keys()
    assert all(d["state"] == "delivered" for d in delivered)
    first_key = receiver.received[0].key
    assert [r.key for r in receiver.received].count(first_key) >= 2, "the interrupted delivery was sent again"
    identity = client.get("/.well-known/ecolabel-registry").json()
    registry_key = parse_public_jwk(identity["jwks"]["keys"][0])
    checkpoint_key = NoteVerifier.from_string(identity["checkpoint_verifier_key"])
    by_certificate = dict(zip(certs, events, strict=True))
    for delivery in receiver.received:
        notice = loads_strict(
            verify_compact(delivery.body, registry_key, expected_typ="ecolabel-notification+jwt").payload
        )
        # The signed-webhook format: these members, the receipt of the event's own leaf.
        assert set(notice) == {
            "type",
            "issuer",
            "certificate",
            "programme",
            "licenceNumber",
            "event",
            "statusNow",
            "receipt",
            "subscription",
            "idempotencyKey",
        }
        assert (notice["type"], notice["issuer"]) == ("CertificateStatusNotification", settings.log_origin)
        assert (notice["idempotencyKey"], notice["subscription"]) == (delivery.key, subscription)
        assert notice["certificate"] in certs
        assert (notice["programme"], notice["statusNow"]) == ("eu-ecolabel", "suspended")
        assert notice["event"]["status"] == "suspended"
        event = by_certificate[notice["certificate"]]
        verify_receipt(Receipt.from_dict(notice["receipt"]), event.encode(), checkpoint_key)


def test_a_failing_callback_is_retried_with_backoff_and_then_parked(
    client: TestClient, admin_headers: dict[str, str], receiver: Receiver, worker: InProcessWorker
) -> None:
    body = certifier(client, admin_headers, "eu-ecolabel")
    (cert,) = certificates(client, body, 1)
    subscription = subscribe(client, receiver.url, "certificate", cert)
    receiver.status = 500
    suspend(client, body, cert)
    with httpx.Client() as http:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            worker.run(http)
            (delivery,) = deliveries(client, subscription)
            if delivery["state"] == "parked":
                break
            time.sleep(0.05)
    assert delivery["state"] == "parked"
    attempts = delivery["attempts"]
    assert isinstance(attempts, list)
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert all(a["status_code"] == 500 for a in attempts)
    times = [a["at"] for a in attempts]
    assert times == sorted(times)
    assert len(receiver.received) == 3


def test_only_watchers_of_the_change_get_a_delivery(
    client: TestClient, admin_headers: dict[str, str], receiver: Receiver, worker: InProcessWorker
) -> None:
    body = certifier(client, admin_headers, "eu-ecolabel")
    watched, other, earlier = certificates(client, body, 3)
    suspend(client, body, earlier)  # logged before anyone watched: no delivery for it
    by_certificate = subscribe(client, receiver.url, "certificate", watched)
    by_holder = subscribe(client, receiver.url, "holder", "5493001KJTIIGC8Y1R12")
    elsewhere = subscribe(client, receiver.url, "programme", "nordic-swan")
    suspend(client, body, other)

    def count(subscription: str) -> int:
        return len(deliveries(client, subscription))

    assert worker.match() == 1
    assert (count(by_certificate), count(by_holder), count(elsewhere)) == (0, 1, 0)
    suspend(client, body, watched)
    assert worker.match() == 2
    assert (count(by_certificate), count(by_holder), count(elsewhere)) == (1, 2, 0)
    assert worker.match() == 0


def test_unknown_subscriptions_are_not_found(client: TestClient) -> None:
    assert client.get(f"/v1/subscriptions/{'0' * 32}/deliveries", headers=OPERATOR).status_code == 404
    assert client.get("/v1/subscriptions/not-an-id", headers=OPERATOR).status_code == 422
