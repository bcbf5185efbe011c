"""A group's state read before the log lock (`certificates.observed`) decides nothing once another writer
has logged anything since: the authority rules are judged from what holds under the lock.

Each test lets another writer act between the group's one read of the registry's state and its lock (the
window a second API process has), and checks that the group is answered as if it had read everything
under the lock: a licence taken meanwhile, a key retired meanwhile, a credential logged meanwhile (a
duplicate, not charged). The last checks that an observation at the locked head is what decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.certificates import observed, submission
from ecolabel_registry.certificates import sequencer as sequencer_module
from ecolabel_registry.certificates.schemas import Outcome
from ecolabel_registry.certificates.sequencer import Sequencer
from ecolabel_registry.context import RegistryContext
from tests.registry.factories import Certifier, certifier
from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey


@pytest.fixture
def context(client: TestClient) -> RegistryContext:
    registry: RegistryContext = client.app.state.registry  # type: ignore[attr-defined]  # Starlette's app
    return registry


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "cec")


@pytest.fixture
def paused(context: RegistryContext) -> Iterator[Sequencer]:
    """A sequencer not yet started: what is queued before `start` is its first group."""
    sequencer = Sequencer(max_items=100, max_wait_s=0)
    yield sequencer
    sequencer.close()


def _meanwhile(monkeypatch: pytest.MonkeyPatch, act: Callable[[], None]) -> list[observed.Observed | None]:
    """Run `act` (another writer) once, right after the group has read its state; the states read."""
    real = observed.observe
    seen: list[observed.Observed | None] = []

    def observe_then_act(connection: Any, documents: Sequence[Any]) -> observed.Observed | None:
        state = real(connection, documents)
        seen.append(state)
        if len(seen) == 1:
            act()
        return state

    monkeypatch.setattr(sequencer_module.observed, "observe", observe_then_act)
    return seen


def test_a_licence_taken_after_the_groups_read_is_refused(
    client: TestClient, context: RegistryContext, body: Certifier, paused: Sequencer, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = body.credential("IT/044/001", validFrom="2024-02-01T00:00:00Z")
    seen = _meanwhile(
        monkeypatch,
        lambda: assert_created(client.post("/v1/certificates", json={"credential": elsewhere})),
    )
    future = paused.certificate(body.credential("IT/044/001"))
    paused.start(context)
    item = future.result(timeout=60)
    assert _state(seen).current == {}, "the read before the lock found the licence free"
    assert (item.outcome, _code(item)) == (Outcome.REJECTED, "LICENCE_EXISTS")


def test_a_key_retired_after_the_groups_read_signs_nothing(
    client: TestClient, context: RegistryContext, body: Certifier, paused: Sequencer, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = body.kid
    body.keys["rotated"] = generate_private_key()
    added = PublicKey.from_private_key(body.keys["rotated"], kid="rotated").to_jwk()
    events = f"/v1/programmes/{body.programme_id}/key-events"
    assert_created(client.post(events, json={"event": body.key_event("add", key=added)}))
    retire = body.key_event("retire", kid=old)
    seen = _meanwhile(monkeypatch, lambda: assert_created(client.post(events, json={"event": retire})))
    future = paused.certificate(body.credential("IT/044/002"))
    paused.start(context)
    item = future.result(timeout=60)
    assert _state(seen).keys[(body.programme_id, old)].ended_us is None, "the read before the lock found it valid"
    assert (item.outcome, _code(item)) == (Outcome.REJECTED, "SIGNING_KEY_RETIRED")


def test_a_credential_logged_after_the_groups_read_is_a_duplicate_not_charged(
    client: TestClient, context: RegistryContext, body: Certifier, paused: Sequencer, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = body.credential("IT/044/003")
    seen = _meanwhile(monkeypatch, lambda: assert_created(client.post("/v1/certificates", json={"credential": token})))
    charged: list[str] = []
    future = paused.certificate(token, charged.extend)
    paused.start(context)
    assert future.result(timeout=60).outcome is Outcome.DUPLICATE
    assert _state(seen).registered == {}, "the read before the lock found it new"
    assert charged == [], "logged by another writer: its programme is not charged for it again"


def test_a_read_at_the_locked_head_decides_without_reading_again(
    context: RegistryContext, body: Certifier, paused: Sequencer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_again(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("read under the lock although nothing was logged since the group's read")

    monkeypatch.setattr(submission, "_read_under_the_lock", read_again)
    charged: list[str] = []
    futures = [paused.certificate(body.credential(f"IT/044/{n:03d}"), charged.extend) for n in range(3)]
    paused.start(context)
    assert [future.result(timeout=60).outcome for future in futures] == [Outcome.ACCEPTED] * 3
    assert charged == [body.programme_id] * 3


def _state(seen: list[observed.Observed | None]) -> observed.State:
    assert seen, "the group read its state"
    first = seen[0]
    assert first is not None, "the group's state was read in one statement"
    return first.state


def _code(item: submission.Item) -> str | None:
    return item.error.extensions.get("code") if item.error is not None else None


def assert_created(response: Any) -> None:
    assert response.status_code == 201, response.text
