"""Helpers of the webhook tests: certificates, status events and subscriptions through the API."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ecolabel_registry.webhooks.matching import Notifier, match_new_events
from ecolabel_registry.webhooks.worker import Policy, deliver_due, run_once
from tests.registry.conftest import ADMIN_TOKEN
from tests.registry.factories import Certifier, certificate_id

OPERATOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def certificates(http: TestClient, body: Certifier, count: int) -> list[str]:
    tokens = [body.credential(f"IT/044/{n:03d}") for n in range(count)]
    http.post("/v1/certificates/batch", json={"credentials": tokens}).raise_for_status()
    return [certificate_id(token) for token in tokens]


def suspend(http: TestClient, body: Certifier, cert: str) -> str:
    """Suspend a certificate (its first event); return the event's exact JWS."""
    event = body.status_event(cert, 1, cert, "suspended")
    http.post(f"/v1/certificates/{cert}/events", json={"event": event}).raise_for_status()
    return event


def subscribe(http: TestClient, url: str, watch: str, target: str, headers: dict[str, str] | None = None) -> str:
    """Subscribe as the operator unless `headers` name another owner; return the subscription id."""
    watched = {"callback_url": url, "watch": watch, "target": target}
    response = http.post("/v1/subscriptions", json=watched, headers=headers or OPERATOR)
    assert response.status_code == 201, response.text
    subscription: str = response.json()["id"]
    return subscription


def deliveries(http: TestClient, subscription: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = http.get(f"/v1/subscriptions/{subscription}/deliveries", headers=OPERATOR).json()[
        "items"
    ]
    return items


@dataclass
class InProcessWorker:
    """The worker's steps, run by the test on the test's database (the CLI runs the same in a loop)."""

    engine: Engine
    policy: Policy
    notifier: Notifier

    def match(self) -> int:
        return match_new_events(self.engine, self.notifier)

    def deliver(self, http: httpx.Client) -> int:
        return deliver_due(self.engine, self.policy, http)

    def run(self, http: httpx.Client) -> int:
        return run_once(self.engine, self.policy, self.notifier, http)
