"""Callbacks may not aim the registry at loopback, private or link-local addresses (SSRF)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
    ],
    ids=["loopback", "localhost", "private-10", "private-192", "cloud-metadata", "ipv6-loopback", "unspecified"],
)
def test_a_callback_to_a_non_public_address_is_refused(client: TestClient, url: str) -> None:
    response = client.post("/v1/subscriptions", json={"callback_url": url, "watch": "programme", "target": "x"})
    assert response.status_code == 422
    assert response.json()["code"] == "CALLBACK_NOT_PUBLIC"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://user:secret@example.org/hook", "CALLBACK_CREDENTIALS"),
        ("http://no-such-host.invalid/hook", "CALLBACK_UNRESOLVABLE"),
    ],
    ids=["credentials-in-url", "unresolvable"],
)
def test_other_unusable_callbacks_are_refused(client: TestClient, url: str, code: str) -> None:
    response = client.post("/v1/subscriptions", json={"callback_url": url, "watch": "programme", "target": "x"})
    assert (response.status_code, response.json()["code"]) == (422, code)


def test_a_non_http_callback_is_a_validation_problem(client: TestClient) -> None:
    response = client.post(
        "/v1/subscriptions", json={"callback_url": "file:///etc/passwd", "watch": "programme", "target": "x"}
    )
    assert response.status_code == 422
