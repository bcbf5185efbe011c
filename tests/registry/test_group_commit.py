"""Group commit: single submissions waiting together are logged in one transaction with one checkpoint.

The sequencer is fed directly so that a group's members are known: everything queued before it starts is
one group. Each member must get the answer it would get alone (accepted, duplicate, refused with its own
problem), and each receipt must verify against the group's checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from ecolabel_registry.app import create_app
from ecolabel_registry.certificates import sequencer as sequencer_module
from ecolabel_registry.certificates import submission
from ecolabel_registry.certificates.schemas import Outcome
from ecolabel_registry.certificates.sequencer import Sequencer
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.errors import (
    DocumentInvalid,
    HistoryConflict,
    NotFound,
    RateLimited,
    RegistryError,
    SignatureInvalid,
)
from ecolabel_registry.integrity import check as checks
from ecolabel_registry.log.repository import checkpoints_table, entries_table
from ecolabel_registry.settings import Settings
from ecolabel_registry.signing_key import load_or_create_signing_key
from ecolabel_registry.status_map import service as status_map
from tests.registry.factories import Certifier, certificate_id, certifier
from verification.checkpoint import Checkpoint
from verification.receipt import Receipt, verify_receipt


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


def _queue_certificates(sequencer: Sequencer, tokens: list[str]) -> list[Future[Any]]:
    return [sequencer.certificate(token) for token in tokens]


def _checkpoints(context: RegistryContext) -> int:
    with context.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(checkpoints_table)).scalar_one())


def _verified(receipt: Receipt, token: str, context: RegistryContext) -> Checkpoint:
    return verify_receipt(receipt, token.encode("ascii"), context.note_verifier)


def _two_then_over(charged: list[str]) -> Callable[[Iterable[str]], None]:
    """A programme rate that admits two new credentials, noting each in `charged`, and refuses the third."""

    def charge(programmes: Iterable[str]) -> None:
        wanted = list(programmes)
        if len(charged) == 2:
            raise RateLimited("over", code="PROGRAMME_RATE_LIMITED", retry_after=1)
        charged.extend(wanted)

    return charge


def test_a_group_of_certificates_is_one_transaction_with_one_checkpoint(
    client: TestClient, context: RegistryContext, body: Certifier, paused: Sequencer
) -> None:
    earlier = body.credential("IT/044/000")
    first = client.post("/v1/certificates", json={"credential": earlier})
    assert first.status_code == 201, first.text
    fresh = [body.credential(f"IT/044/{n:03d}") for n in range(1, 6)]
    taken = body.credential("IT/044/001", validUntil="2028-12-31T00:00:00Z")  # licence 001 without supersedes
    tokens = [*fresh, fresh[2], earlier, taken]  # a copy within the group, and one logged before
    before = _checkpoints(context)

    futures = _queue_certificates(paused, tokens)
    paused.start(context)
    items = [future.result(timeout=60) for future in futures]

    assert (paused.groups, paused.items) == (1, len(tokens))
    assert _checkpoints(context) == before + 1
    assert [item.outcome for item in items] == [Outcome.ACCEPTED] * 5 + [Outcome.DUPLICATE] * 2 + [Outcome.REJECTED]
    assert items[-1].error is not None
    assert items[-1].error.extensions["code"] == "LICENCE_EXISTS"
    assert items[5].receipt == items[2].receipt  # the copy is answered with the first copy's receipt
    assert items[6].receipt is not None
    assert items[6].receipt.leaf_index == first.json()["receipt"]["leaf_index"]
    sizes = set()
    for item, token in zip(items[:5], fresh, strict=True):
        assert item.receipt is not None
        sizes.add(_verified(item.receipt, token, context).tree_size)
    assert len(sizes) == 1, "the members of one group share its checkpoint"
    for token in fresh:
        assert client.get(f"/v1/certificates/{certificate_id(token)}").status_code == 200


def test_a_group_checks_its_credentials_together_and_refuses_each_alone(
    client: TestClient, context: RegistryContext, body: Certifier, paused: Sequencer
) -> None:
    """One read connection checks the group; a forged credential and one over its programme's rate are
    answered on their own, charged nothing and not logged, and the rest commit as one group."""
    held = body.credential("IT/044/000")
    assert client.post("/v1/certificates", json={"credential": held}).status_code == 201
    fresh = [body.credential(f"IT/044/{n:03d}") for n in range(1, 5)]
    forged = fresh[1][:-4] + "AAAA"
    charged: list[str] = []
    charge = _two_then_over(charged)

    tokens = [fresh[0], forged, held, fresh[2], fresh[3], fresh[0]]
    before = _checkpoints(context)
    futures = [paused.certificate(token, charge) for token in tokens]
    paused.start(context)

    first = futures[0].result(timeout=60)
    assert first.outcome is Outcome.ACCEPTED
    refused = futures[1].result(timeout=60)
    assert (refused.outcome, type(refused.error)) == (Outcome.REJECTED, SignatureInvalid)
    assert futures[2].result(timeout=60).outcome is Outcome.DUPLICATE, "a held credential is not charged"
    assert futures[3].result(timeout=60).outcome is Outcome.ACCEPTED
    with pytest.raises(RateLimited):
        futures[4].result(timeout=60)
    assert futures[5].result(timeout=60).outcome is Outcome.DUPLICATE, "a copy in the group is charged once"
    assert charged == [body.programme_id] * 2
    assert (paused.groups, _checkpoints(context)) == (1, before + 1)
    assert client.get(f"/v1/certificates/{certificate_id(fresh[3])}").status_code == 404


def test_a_group_charges_what_is_new_under_the_log_lock(
    client: TestClient, context: RegistryContext, body: Certifier, paused: Sequencer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The charge is decided by the "already held?" read under the lock: a credential logged by another
    writer after the group's checks is a duplicate and is not charged; every copy of one over its rate
    is refused with it; the others are charged once each."""
    fresh = [body.credential(f"IT/044/{n:03d}") for n in range(4)]
    charged: list[str] = []
    charge = _two_then_over(charged)

    real_prepare = submission.prepare

    def prepare_then_logged_elsewhere(*args: Any, **kwargs: Any) -> submission.Prepared:
        # Another writer (the app's own sequencer, which prepares through the plain `prepare` once this is
        # undone) logs fresh[0] between the group's checks and its lock.
        monkeypatch.setattr(sequencer_module.submission, "prepare", real_prepare)
        prepared = real_prepare(*args, **kwargs)
        assert client.post("/v1/certificates", json={"credential": fresh[0]}).status_code == 201
        return prepared

    monkeypatch.setattr(sequencer_module.submission, "prepare", prepare_then_logged_elsewhere)
    tokens = [fresh[0], fresh[1], fresh[2], fresh[3], fresh[3]]
    futures = [paused.certificate(token, charge) for token in tokens]
    paused.start(context)

    assert futures[0].result(timeout=60).outcome is Outcome.DUPLICATE
    assert [futures[n].result(timeout=60).outcome for n in (1, 2)] == [Outcome.ACCEPTED] * 2
    for future in futures[3:]:
        with pytest.raises(RateLimited):
            future.result(timeout=60)
    assert charged == [body.programme_id] * 2, "fresh[0] was logged by another writer: not charged here"
    assert client.get(f"/v1/certificates/{certificate_id(fresh[3])}").status_code == 404


def test_a_member_retried_alone_is_not_charged_again(
    client: TestClient, context: RegistryContext, body: Certifier, paused: Sequencer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group charged under the lock whose transaction then fails: its members, committed one by one,
    are logged without a second charge."""
    real_commit = submission.commit

    def charge_then_fail(connection: Any, signer: Any, prepared: submission.Prepared, **kwargs: Any) -> Any:
        items = real_commit(connection, signer, prepared, **kwargs)
        if len(prepared.items) > 1:
            raise OperationalError("COMMIT", {}, Exception("the server closed the connection"))
        return items

    monkeypatch.setattr(sequencer_module.submission, "commit", charge_then_fail)
    charged: list[str] = []
    tokens = [body.credential(f"IT/044/{n:03d}") for n in range(3)]
    futures = [paused.certificate(token, charged.extend) for token in tokens]
    paused.start(context)
    assert [future.result(timeout=60).outcome for future in futures] == [Outcome.ACCEPTED] * 3
    assert paused.groups == 3
    assert charged == [body.programme_id] * 3


def test_a_group_of_status_events_fails_only_the_refused_ones(
    client: TestClient, context: RegistryContext, body: Certifier, paused: Sequencer
) -> None:
    tokens = [body.credential(f"IT/044/{n:03d}") for n in range(3)]
    ids = [certificate_id(token) for token in tokens]
    for token in tokens:
        assert client.post("/v1/certificates", json={"credential": token}).status_code == 201
    suspend = body.status_event(ids[0], 1, ids[0])
    reinstate = body.status_event(ids[0], 2, certificate_id(suspend), "reinstated", effectiveAt="2025-04-01T00:00:00Z")
    withdraw = body.status_event(ids[1], 1, ids[1], "withdrawn")
    replayed = suspend  # the same event again, after itself in the same group: the chain has moved on
    forked = body.status_event(ids[1], 1, ids[1], "suspended")  # a second event 1 for the same certificate
    unknown = body.status_event("0" * 64, 1, "0" * 64)
    forged = body.status_event(ids[2], 1, ids[2])[:-4] + "AAAA"
    requests = [
        (ids[0], suspend),
        (ids[0], reinstate),
        (ids[1], withdraw),
        (ids[0], replayed),
        (ids[1], forked),
        ("0" * 64, unknown),
        (ids[2], forged),
    ]
    before = _checkpoints(context)

    futures = [paused.event(certificate, token) for certificate, token in requests]
    paused.start(context)
    outcomes: list[Any] = []
    for future in futures:
        try:
            outcomes.append(future.result(timeout=60))
        except RegistryError as exc:
            outcomes.append(exc)

    assert (paused.groups, _checkpoints(context)) == (1, before + 1)
    accepted = [suspend, reinstate, withdraw]
    for (_event, _status, receipt), token in zip(outcomes[:3], accepted, strict=True):
        _verified(receipt, token, context)
    assert [outcome[0].sequence for outcome in outcomes[:3]] == [1, 2, 1]
    assert isinstance(outcomes[3], HistoryConflict)
    assert isinstance(outcomes[4], HistoryConflict)
    assert isinstance(outcomes[5], NotFound)
    assert isinstance(outcomes[6], SignatureInvalid)
    history = client.get(f"/v1/certificates/{ids[0]}").json()
    assert [event["sequence"] for event in history["history"]] == [1, 2]
    assert client.get(f"/v1/certificates/{ids[1]}").json()["status"] == "withdrawn"


def test_a_failed_group_transaction_falls_back_to_one_commit_per_member(
    client: TestClient,
    context: RegistryContext,
    body: Certifier,
    paused: Sequencer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A group whose transaction fails (here: the database drops it) is retried member by member."""
    real_commit = submission.commit

    def commit_refusing_groups(connection: Any, signer: Any, prepared: submission.Prepared, **kwargs: Any) -> Any:
        if len(prepared.items) > 1:
            raise OperationalError("COMMIT", {}, Exception("the server closed the connection"))
        return real_commit(connection, signer, prepared, **kwargs)

    monkeypatch.setattr(sequencer_module.submission, "commit", commit_refusing_groups)
    tokens = [body.credential(f"IT/044/{n:03d}") for n in range(3)]
    tokens.append(body.credential("IT/044/000", validUntil="2028-12-31T00:00:00Z"))
    before = _checkpoints(context)

    futures = _queue_certificates(paused, tokens)
    paused.start(context)
    items = [future.result(timeout=60) for future in futures]

    assert paused.groups == len(tokens), "each member committed on its own"
    assert _checkpoints(context) == before + 3
    assert [item.outcome for item in items] == [Outcome.ACCEPTED] * 3 + [Outcome.REJECTED]
    for item, token in zip(items[:3], tokens[:3], strict=True):
        assert item.receipt is not None
        _verified(item.receipt, token, context)


def test_a_member_retried_alone_is_answered_from_its_own_commit_only(
    client: TestClient,
    context: RegistryContext,
    body: Certifier,
    paused: Sequencer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A group's commit that went through but reported failure (the connection dropped at COMMIT): its
    members, retried alone, are duplicates, answered from the store and not from the group's rows."""
    real_commit = submission.commit

    def commit_then_fail(connection: Any, signer: Any, prepared: submission.Prepared, **kwargs: Any) -> Any:
        items = real_commit(connection, signer, prepared, **kwargs)
        if len(prepared.items) > 1:
            connection.commit()
            raise OperationalError("COMMIT", {}, Exception("the server closed the connection"))
        return items

    monkeypatch.setattr(sequencer_module.submission, "commit", commit_then_fail)
    tokens = [body.credential(f"IT/044/{n:03d}") for n in range(2)]
    futures = _queue_certificates(paused, tokens)
    paused.start(context)
    items = [future.result(timeout=60) for future in futures]

    assert [item.outcome for item in items] == [Outcome.DUPLICATE] * 2
    assert [item.stored for item in items] == [None, None]
    for item in items:
        answer = client.post("/v1/certificates", json={"credential": item.token})
        assert answer.status_code == 200, answer.text
        assert answer.json()["certificate"]["leaf_index"] == item.receipt.leaf_index  # type: ignore[union-attr]


def test_concurrent_requests_are_answered_after_their_group_commits(
    settings: Settings, admin_headers: dict[str, str]
) -> None:
    """Through the API, with the sequencer of the app: every answer's receipt verifies and is logged."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as http:
        body = certifier(http, admin_headers, "cec")
        registry: RegistryContext = http.app.state.registry  # type: ignore[attr-defined]  # Starlette's app
        assert registry.sequencer is not None
        tokens = [body.credential(f"IT/044/{n:03d}") for n in range(12)]
        answers = _post_all(http, tokens)
        for token, answer in zip(tokens, answers, strict=True):
            assert answer.status_code == 201, answer.text
            _verified(Receipt.from_dict(answer.json()["receipt"]), token, registry)
            assert answer.json()["certificate"]["id"] == certificate_id(token)
        again = http.post("/v1/certificates", json={"credential": tokens[0]})
        assert again.status_code == 200
        assert again.json()["receipt"] == answers[0].json()["receipt"]


def test_group_commit_can_be_turned_off(settings: Settings, admin_headers: dict[str, str]) -> None:
    with TestClient(create_app(settings.model_copy(update={"group_commit_max_items": 0}))) as http:
        registry: RegistryContext = http.app.state.registry  # type: ignore[attr-defined]  # Starlette's app
        assert registry.sequencer is None
        body = certifier(http, admin_headers, "cec")
        token = body.credential()
        answer = http.post("/v1/certificates", json={"credential": token})
        assert answer.status_code == 201, answer.text
        event = body.status_event(certificate_id(token), 1, certificate_id(token))
        assert http.post(f"/v1/certificates/{certificate_id(token)}/events", json={"event": event}).status_code == 201


def _post_all(http: TestClient, tokens: list[str]) -> list[httpx.Response]:
    with ThreadPoolExecutor(len(tokens)) as pool:
        return list(pool.map(lambda token: http.post("/v1/certificates", json={"credential": token}), tokens))


def test_groups_replay_clean_with_the_status_map_on(
    client: TestClient,
    context: RegistryContext,
    body: Certifier,
    paused: Sequencer,
    *,
    settings: Settings,
    engine: Engine,
    tmp_path: Path,
) -> None:
    """`fsck` replays a group of certificates and a group of events, each closed by one status map root."""
    assert status_map.enable_with(settings) is not None
    held = [body.credential(f"IT/044/{n:03d}") for n in range(2)]
    for token in held:
        assert client.post("/v1/certificates", json={"credential": token}).status_code == 201
    first, second = (certificate_id(token) for token in held)
    suspend = body.status_event(first, 1, first)
    reinstate = body.status_event(first, 2, certificate_id(suspend), "reinstated", effectiveAt="2025-04-01T00:00:00Z")
    events = [paused.event(first, suspend), paused.event(first, reinstate), paused.event(second, suspend)]
    certificates = _queue_certificates(paused, [body.credential(f"IT/044/{n:03d}") for n in range(2, 5)])
    paused.start(context)
    assert all(future.result(timeout=60).outcome is Outcome.ACCEPTED for future in certificates)
    assert events[0].result(timeout=60)[0].sequence == 1
    assert events[1].result(timeout=60)[0].sequence == 2
    with pytest.raises(DocumentInvalid):  # the event names the first certificate
        events[2].result(timeout=60)
    assert paused.groups == 2, "one transaction for the certificates, one for the events"
    with engine.connect() as connection:
        kinds = list(connection.execute(select(entries_table.c.kind).order_by(entries_table.c.leaf_index)).scalars())
    assert kinds[-7:] == ["certificate"] * 3 + ["status_map"] + ["certificate_event"] * 2 + ["status_map"]

    key = load_or_create_signing_key(settings.signing_key_path)
    report = checks.run(engine, settings, key, replica=tmp_path / "replica.sqlite3", full=True, operator=True)
    assert report.divergence is None, report.divergence


def test_a_request_cancelled_before_its_group_starts_is_not_logged(
    client: TestClient, context: RegistryContext, body: Certifier, paused: Sequencer
) -> None:
    """A caller that went away (its future cancelled) before its group began is left out; the rest go on."""
    tokens = [body.credential(f"IT/044/{n:03d}") for n in range(3)]
    futures = _queue_certificates(paused, tokens[:2])
    assert futures[0].cancel()
    paused.start(context)
    assert futures[1].result(timeout=60).outcome is Outcome.ACCEPTED
    assert client.get(f"/v1/certificates/{certificate_id(tokens[0])}").status_code == 404
    (later,) = _queue_certificates(paused, tokens[2:])
    assert later.result(timeout=60).outcome is Outcome.ACCEPTED, "the writer goes on after a cancelled request"
