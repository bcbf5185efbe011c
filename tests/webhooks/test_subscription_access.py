"""Who may watch: every subscription has an authenticated owner, only the owner and the operator see it
and its deliveries, subscriber credentials are the operator's to issue and revoke, and quotas hold."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.settings import Settings
from tests.supply.world import Supply
from tests.webhooks.conftest import Receiver

QUOTA = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:  # the receiver listens on loopback, which is refused by default
    return settings.model_copy(update={"webhook_allow_private": True, "webhook_max_subscriptions_per_owner": QUOTA})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _watch(receiver: Receiver, target: str = "eu-ecolabel") -> dict[str, Any]:
    return {"callback_url": receiver.url, "watch": "programme", "target": target}


def _problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:ecolabel-registry:problem:{slug}"
    return body


@pytest.mark.parametrize(
    "headers",
    [{}, _bearer("made-up"), _bearer("elr_0123456789abcdef_not-a-secret"), _bearer("els_0123456789abcdef_nope")],
    ids=["anonymous", "made-up", "unknown-organisation-token", "unknown-subscriber-credential"],
)
def test_subscribing_needs_a_credential_that_names_an_owner(
    client: TestClient, receiver: Receiver, headers: dict[str, str]
) -> None:
    _problem(client.post("/v1/subscriptions", json=_watch(receiver), headers=headers), 401, "unauthorized")
    _problem(client.get("/v1/subscriptions", headers=headers), 401, "unauthorized")


def test_a_subscription_is_visible_only_to_its_owner_and_the_operator(
    client: TestClient, admin_headers: dict[str, str], receiver: Receiver
) -> None:
    supply = Supply(client, admin_headers)
    owner = supply.organisation("Watching Buyer Ltd.")
    other = supply.organisation("Curious Competitor Ltd.")
    owners_other_token = _bearer(supply.token(owner.id, ["supply:read"]))
    created = client.post("/v1/subscriptions", json=_watch(receiver), headers=owner.headers)
    assert created.status_code == 201, created.text
    assert created.json()["owner"] == f"organisation:{owner.id}"
    subscription = created.json()["id"]

    for path in (f"/v1/subscriptions/{subscription}", f"/v1/subscriptions/{subscription}/deliveries"):
        _problem(client.get(path, headers=other.headers), 404, "not-found")  # as if it did not exist
        _problem(client.get(path), 401, "unauthorized")
        for allowed in (owner.headers, owners_other_token, admin_headers):
            assert client.get(path, headers=allowed).status_code == 200
    _problem(client.delete(f"/v1/subscriptions/{subscription}", headers=other.headers), 404, "not-found")

    def listed(headers: dict[str, str]) -> list[str]:
        return [item["id"] for item in client.get("/v1/subscriptions", headers=headers).json()["items"]]

    assert listed(other.headers) == []
    assert listed(owner.headers) == [subscription]
    assert subscription in listed(admin_headers)
    assert client.delete(f"/v1/subscriptions/{subscription}", headers=owner.headers).status_code == 204
    assert client.get(f"/v1/subscriptions/{subscription}", headers=owner.headers).json()["active"] is False


def test_a_subscriber_credential_is_the_operators_to_issue_and_revoke(
    client: TestClient, admin_headers: dict[str, str], receiver: Receiver
) -> None:
    organisation = Supply(client, admin_headers).organisation("Not The Operator Ltd.")
    request = {"name": "Ministry procurement portal"}
    _problem(client.post("/v1/subscribers", json=request), 401, "unauthorized")
    _problem(client.post("/v1/subscribers", json=request, headers=organisation.headers), 401, "unauthorized")
    issued = client.post("/v1/subscribers", json=request, headers=admin_headers)
    assert issued.status_code == 201, issued.text
    subscriber, token = issued.json()["subscriber"], issued.json()["token"]
    assert token.startswith(f"els_{subscriber['id']}_")
    neighbour = client.post("/v1/subscribers", json={"name": "Another portal"}, headers=admin_headers).json()

    created = client.post("/v1/subscriptions", json=_watch(receiver), headers=_bearer(token))
    assert created.status_code == 201, created.text
    assert created.json()["owner"] == f"subscriber:{subscriber['id']}"
    path = f"/v1/subscriptions/{created.json()['id']}"
    assert client.get(path, headers=_bearer(token)).status_code == 200
    _problem(client.get(path, headers=_bearer(neighbour["token"])), 404, "not-found")

    _problem(client.delete(f"/v1/subscribers/{subscriber['id']}", headers=organisation.headers), 401, "unauthorized")
    assert client.delete(f"/v1/subscribers/{subscriber['id']}", headers=admin_headers).status_code == 204
    revoked = _problem(client.get(path, headers=_bearer(token)), 401, "unauthorized")
    assert revoked["code"] == "TOKEN_REVOKED"
    assert client.get(path, headers=admin_headers).json()["active"] is False  # its watchlists ended with it
    _problem(client.delete(f"/v1/subscribers/{'0' * 16}", headers=admin_headers), 404, "not-found")


def test_each_owner_holds_a_bounded_number_of_subscriptions(
    client: TestClient, admin_headers: dict[str, str], receiver: Receiver
) -> None:
    supply = Supply(client, admin_headers)
    busy, quiet = supply.organisation("Busy Watcher Ltd."), supply.organisation("Quiet Watcher Ltd.")
    made = [
        client.post("/v1/subscriptions", json=_watch(receiver, f"p-{n}"), headers=busy.headers) for n in range(QUOTA)
    ]
    assert [response.status_code for response in made] == [201] * QUOTA
    over = _problem(
        client.post("/v1/subscriptions", json=_watch(receiver), headers=busy.headers), 409, "quota-exceeded"
    )
    assert (over["code"], over["quota"]) == ("SUBSCRIPTION_QUOTA", QUOTA)
    assert client.post("/v1/subscriptions", json=_watch(receiver), headers=quiet.headers).status_code == 201
    assert client.delete(f"/v1/subscriptions/{made[0].json()['id']}", headers=busy.headers).status_code == 204
    assert client.post("/v1/subscriptions", json=_watch(receiver), headers=busy.headers).status_code == 201
