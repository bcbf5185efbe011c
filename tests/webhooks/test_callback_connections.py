"""A delivery connects to the address its callback check approved, never to a second DNS answer."""

from __future__ import annotations

import socket
import ssl
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

from ecolabel_registry.settings import Settings
from tests.registry.factories import certifier
from tests.webhooks.conftest import Receiver, serve_receiver
from tests.webhooks.world import (
    InProcessWorker,
    certificates,
    deliveries,
    subscribe,
    suspend,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:  # the receivers listen on loopback, which is refused by default
    return settings.model_copy(update={"webhook_allow_private": True, "webhook_timeout_s": 2.0})


def _resolving(monkeypatch: pytest.MonkeyPatch, answer: Any) -> None:
    """A DNS that answers `answer(port)` for callback.test (the system resolver for other names)."""
    system_resolver = socket.getaddrinfo

    def dns(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "callback.test":
            return system_resolver(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer(), int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", dns)


def test_a_delivery_connects_to_the_address_that_was_checked(
    client: TestClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    worker: InProcessWorker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: the name answers once for the check, then differently for any later lookup."""
    port = urlsplit(receiver.url).port
    answers = iter(["127.0.0.1"])  # the subscription's check
    _resolving(monkeypatch, lambda: next(answers, "127.0.0.2"))
    body = certifier(client, admin_headers, "eu-ecolabel")
    (cert,) = certificates(client, body, 1)
    subscribe(client, f"http://callback.test:{port}/hooks", "certificate", cert)
    with serve_receiver(("127.0.0.2", port or 0)) as elsewhere, httpx.Client() as http:
        answers = iter(["127.0.0.1"])  # the delivery's check; a second lookup would get 127.0.0.2
        suspend(client, body, cert)
        worker.run(http)
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
    worker: InProcessWorker,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    cert_path, key_path = _certificate_for("callback.test", tmp_path)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert_path, key_path)
    _resolving(monkeypatch, lambda: "127.0.0.1")
    with serve_receiver(("127.0.0.1", 0), tls=server_tls) as secure:
        port = urlsplit(secure.url).port
        body = certifier(client, admin_headers, "eu-ecolabel")
        (cert,) = certificates(client, body, 1)
        subscription = subscribe(client, f"https://callback.test:{port}/hooks", "certificate", cert)
        suspend(client, body, cert)
        trusting = ssl.create_default_context(cafile=str(cert_path))  # checks the name, as by default
        with httpx.Client(verify=trusting, trust_env=False) as http:
            worker.run(http)
    assert [(r.host, r.attempt) for r in secure.received] == [(f"callback.test:{port}", 1)]
    (delivery,) = deliveries(client, subscription)
    assert delivery["state"] == "delivered"
