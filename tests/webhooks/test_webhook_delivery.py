"""Webhooks: queued with the change, signed, delivered at least once, retried, parked, never lost."""

from __future__ import annotations

import signal
import socket
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.settings import Settings
from ecolabel_registry.webhooks.worker import Policy, run_once
from tests.registry.factories import Certifier, certificate_id, certifier
from tests.registry.live import server_environment
from tests.webhooks.conftest import Receiver, serve_receiver
from verification.jwk import parse_public_jwk
from verification.jws import verify_compact
from verification.strictjson import loads_strict


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


def _certificates(client: TestClient, body: Certifier, count: int) -> list[str]:
    tokens = [body.credential(f"IT/044/{n:03d}") for n in range(count)]
    client.post("/v1/certificates/batch", json={"credentials": tokens}).raise_for_status()
    return [certificate_id(token) for token in tokens]


def _suspend(client: TestClient, body: Certifier, cert: str) -> None:
    event = body.status_event(cert, 1, cert, "suspended")
    client.post(f"/v1/certificates/{cert}/events", json={"event": event}).raise_for_status()


def _subscribe(client: TestClient, receiver: Receiver, watch: str, target: str) -> str:
    response = client.post("/v1/subscriptions", json={"callback_url": receiver.url, "watch": watch, "target": target})
    assert response.status_code == 201, response.text
    subscription: str = response.json()["id"]
    return subscription


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
    certs = _certificates(client, body, 5)
    subscription = _subscribe(client, receiver, "programme", "eu-ecolabel")
    receiver.stall_first_s = 1.5
    worker = _start_worker(settings, tmp_path)
    try:
        for cert in certs[:3]:
            _suspend(client, body, cert)
        receiver.wait_for(1)
        worker.send_signal(signal.SIGKILL)  # mid-delivery: the receiver is still holding the first request
        worker.wait()
        for cert in certs[3:]:
            _suspend(client, body, cert)
        worker = _start_worker(settings, tmp_path)
        receiver.wait_for(5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=15)

    deliveries = client.get(f"/v1/subscriptions/{subscription}/deliveries").json()["items"]
    assert {d["idempotency_key"] for d in deliveries} == receiver.keys()
    assert all(d["state"] == "delivered" for d in deliveries)
    first_key = receiver.received[0].key
    assert [r.key for r in receiver.received].count(first_key) >= 2, "the interrupted delivery was sent again"
    registry_key = parse_public_jwk(client.get("/.well-known/ecolabel-registry").json()["jwks"]["keys"][0])
    for delivery in receiver.received:
        notice = loads_strict(
            verify_compact(delivery.body, registry_key, expected_typ="ecolabel-notification+jwt").payload
        )
        assert notice["idempotencyKey"] == delivery.key
        assert notice["certificate"] in certs
        assert notice["statusNow"] == "suspended"


def test_a_failing_callback_is_retried_with_backoff_and_then_parked(
    client: TestClient, admin_headers: dict[str, str], receiver: Receiver, settings: Settings
) -> None:
    body = certifier(client, admin_headers, "eu-ecolabel")
    (cert,) = _certificates(client, body, 1)
    subscription = _subscribe(client, receiver, "certificate", cert)
    receiver.status = 500
    _suspend(client, body, cert)
    engine = build_engine(settings.database_url, pool_size=1)
    policy = Policy.from_settings(settings)
    try:
        with httpx.Client() as http:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                run_once(engine, policy, http)
                (delivery,) = client.get(f"/v1/subscriptions/{subscription}/deliveries").json()["items"]
                if delivery["state"] == "parked":
                    break
                time.sleep(0.05)
    finally:
        engine.dispose()
    assert delivery["state"] == "parked"
    assert [a["attempt"] for a in delivery["attempts"]] == [1, 2, 3]
    assert all(a["status_code"] == 500 for a in delivery["attempts"])
    times = [a["at"] for a in delivery["attempts"]]
    assert times == sorted(times)
    assert len(receiver.received) == 3


def test_only_watchers_of_the_change_get_a_delivery(
    client: TestClient, admin_headers: dict[str, str], receiver: Receiver
) -> None:
    body = certifier(client, admin_headers, "eu-ecolabel")
    watched, other = _certificates(client, body, 2)
    by_certificate = _subscribe(client, receiver, "certificate", watched)
    by_holder = _subscribe(client, receiver, "holder", "5493001KJTIIGC8Y1R12")
    elsewhere = _subscribe(client, receiver, "programme", "nordic-swan")
    _suspend(client, body, other)

    def count(subscription: str) -> int:
        return len(client.get(f"/v1/subscriptions/{subscription}/deliveries").json()["items"])

    assert (count(by_certificate), count(by_holder), count(elsewhere)) == (0, 1, 0)
    _suspend(client, body, watched)
    assert (count(by_certificate), count(by_holder), count(elsewhere)) == (1, 2, 0)


def test_a_delivery_connects_to_the_address_that_was_checked(
    client: TestClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: the name answers once for the check, then differently for a second lookup."""
    port = urlsplit(receiver.url).port
    assert port is not None
    rebinding = {"armed": False, "answers": 0}
    system_resolver = socket.getaddrinfo

    def rebinding_dns(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "callback.test":
            return system_resolver(host, *args, **kwargs)
        first = not rebinding["armed"] or rebinding["answers"] == 0
        rebinding["answers"] += bool(rebinding["armed"])
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1" if first else "127.0.0.2", port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    body = certifier(client, admin_headers, "eu-ecolabel")
    (cert,) = _certificates(client, body, 1)
    response = client.post(
        "/v1/subscriptions",
        json={"callback_url": f"http://callback.test:{port}/hooks", "watch": "certificate", "target": cert},
    )
    assert response.status_code == 201, response.text
    with serve_receiver(("127.0.0.2", port)) as elsewhere:
        rebinding["armed"] = True
        _suspend(client, body, cert)
        engine = build_engine(settings.database_url, pool_size=1)
        try:
            with httpx.Client() as http:
                run_once(engine, Policy.from_settings(settings), http)
        finally:
            engine.dispose()
    assert elsewhere.received == []
    assert [(r.host, r.attempt) for r in receiver.received] == [(f"callback.test:{port}", 1)]


def _certificate_for(name: str, directory: Path) -> tuple[Path, Path]:
    """A self-signed TLS server certificate for `name`, and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "callback.pem", directory / "callback.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_an_https_callback_is_reached_at_the_checked_address_and_verified_by_its_name(
    client: TestClient,
    admin_headers: dict[str, str],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    cert_path, key_path = _certificate_for("callback.test", tmp_path)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert_path, key_path)
    system_resolver = socket.getaddrinfo

    def dns(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "callback.test":
            return system_resolver(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    with serve_receiver(("127.0.0.1", 0), tls=server_tls) as secure:
        port = urlsplit(secure.url).port
        body = certifier(client, admin_headers, "eu-ecolabel")
        (cert,) = _certificates(client, body, 1)
        callback = f"https://callback.test:{port}/hooks"
        response = client.post(
            "/v1/subscriptions", json={"callback_url": callback, "watch": "certificate", "target": cert}
        )
        assert response.status_code == 201, response.text
        _suspend(client, body, cert)
        engine = build_engine(settings.database_url, pool_size=1)
        trusting = ssl.create_default_context(cafile=str(cert_path))  # checks the name, as by default
        try:
            with httpx.Client(verify=trusting, trust_env=False) as http:
                run_once(engine, Policy.from_settings(settings), http)
        finally:
            engine.dispose()
    assert [(r.host, r.attempt) for r in secure.received] == [(f"callback.test:{port}", 1)]
    (delivery,) = client.get(f"/v1/subscriptions/{response.json()['id']}/deliveries").json()["items"]
    assert delivery["state"] == "delivered"


def test_unknown_subscriptions_are_not_found(client: TestClient) -> None:
    assert client.get(f"/v1/subscriptions/{'0' * 32}/deliveries").status_code == 404
    assert client.get("/v1/subscriptions/not-an-id").status_code == 422
