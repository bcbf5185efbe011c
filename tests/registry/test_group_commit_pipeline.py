"""Group commit in two stages: the checker checks the next group while the writer logs the one before.

Each test holds the writer inside a group's write transaction (its log lock taken, nothing committed)
and watches what the checker does meanwhile: refusals answered at once, at most one group checked ahead,
groups logged in the order they were taken, a failure of either stage confined to its own group, and
`close` committing everything both stages and the queue hold.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from ecolabel_registry.certificates import submission
from ecolabel_registry.certificates.schemas import Outcome
from ecolabel_registry.certificates.sequencer import Sequencer
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.errors import DatabaseUnavailable, SignatureInvalid
from tests.registry.factories import Certifier, certificate_id, certifier

WAIT_S = 60  # only a bound on a hang: every wait below ends as soon as the thread it waits for acts


class HeldCommit:
    """`submission.commit` held on its first call (the writer inside its transaction) until `release`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, fail: bool = False) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()
        real = submission.commit

        def commit(connection: Any, signer: Any, prepared: submission.Prepared, **kwargs: Any) -> Any:
            if not self.entered.is_set():
                self.entered.set()
                assert self.released.wait(WAIT_S)
                if fail:
                    raise OperationalError("COMMIT", {}, Exception("the server closed the connection"))
            return real(connection, signer, prepared, **kwargs)

        monkeypatch.setattr(submission, "commit", commit)

    def wait_entered(self) -> None:
        assert self.entered.wait(WAIT_S), "the writer never began its transaction"


class Checks:
    """Records the tokens of each `submission.prepare` once it has returned."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.done: queue.SimpleQueue[list[str]] = queue.SimpleQueue()
        real = submission.prepare

        def prepare(connection: Any, tokens: Sequence[str], **kwargs: Any) -> submission.Prepared:
            prepared = real(connection, tokens, **kwargs)
            self.done.put(list(tokens))
            return prepared

        monkeypatch.setattr(submission, "prepare", prepare)

    def wait_for(self, token: str) -> list[str]:
        while True:
            tokens = self.done.get(timeout=WAIT_S)
            if token in tokens:
                return tokens


@pytest.fixture
def context(client: TestClient) -> RegistryContext:
    registry: RegistryContext = client.app.state.registry  # type: ignore[attr-defined]  # Starlette's app
    return registry


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "cec")


@pytest.fixture
def sequencer(context: RegistryContext) -> Iterator[Sequencer]:
    running = Sequencer(max_items=100, max_wait_s=0)
    running.start(context)
    yield running
    running.close()


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch, sequencer: Sequencer) -> Iterator[HeldCommit]:
    commit = HeldCommit(monkeypatch)
    yield commit
    commit.released.set()  # before the sequencer closes (fixtures end in reverse order)


def _leaf(future: Future[submission.Item]) -> int:
    item = future.result(timeout=WAIT_S)
    assert item.outcome is Outcome.ACCEPTED, item.error
    assert item.receipt is not None
    return item.receipt.leaf_index


def test_a_refusal_is_answered_while_the_group_before_is_being_logged(
    sequencer: Sequencer, held: HeldCommit, body: Certifier
) -> None:
    first = sequencer.certificate(body.credential("IT/044/000"))
    held.wait_entered()
    forged = body.credential("IT/044/001")[:-4] + "AAAA"
    refused = sequencer.certificate(forged).result(timeout=WAIT_S)
    assert (refused.outcome, type(refused.error)) == (Outcome.REJECTED, SignatureInvalid)
    assert not first.done(), "nothing is answered before its group has committed"
    held.released.set()
    _leaf(first)


def test_one_group_is_checked_ahead_and_groups_are_logged_in_the_order_taken(
    sequencer: Sequencer, held: HeldCommit, body: Certifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = Checks(monkeypatch)
    tokens = [body.credential(f"IT/044/{n:03d}") for n in range(4)]
    first = sequencer.certificate(tokens[0])
    held.wait_entered()
    second = sequencer.certificate(tokens[1])
    assert checks.wait_for(tokens[1]) == [tokens[1]]
    later = [sequencer.certificate(token) for token in tokens[2:]]  # wait until the writer takes the second
    assert not any(future.done() for future in [first, second, *later])
    held.released.set()

    leaves = [_leaf(future) for future in [first, second, *later]]
    assert leaves == sorted(leaves), "groups reach the log in the order they were taken"
    assert checks.wait_for(tokens[2]) == tokens[2:], "what queued meanwhile is the next group, checked once"
    assert (sequencer.groups, sequencer.items) == (3, 4)


def test_close_commits_what_both_stages_and_the_queue_hold(
    context: RegistryContext, body: Certifier, monkeypatch: pytest.MonkeyPatch, client: TestClient
) -> None:
    sequencer = Sequencer(max_items=100, max_wait_s=0)
    sequencer.start(context)
    held = HeldCommit(monkeypatch)
    checks = Checks(monkeypatch)
    tokens = [body.credential(f"IT/044/{n:03d}") for n in range(3)]
    writing = sequencer.certificate(tokens[0])
    held.wait_entered()
    checked = sequencer.certificate(tokens[1])
    checks.wait_for(tokens[1])
    queued = sequencer.certificate(tokens[2])

    closing = threading.Thread(target=sequencer.close)
    closing.start()
    held.released.set()
    closing.join(WAIT_S)
    assert not closing.is_alive()

    assert all(future.done() for future in [writing, checked, queued]), "close returns once all are answered"
    assert len({_leaf(future) for future in [writing, checked, queued]}) == 3
    assert sequencer.groups == 3
    with pytest.raises(DatabaseUnavailable):
        sequencer.certificate(body.credential("IT/044/009"))
    for token in tokens:
        assert client.get(f"/v1/certificates/{certificate_id(token)}").status_code == 200


def test_a_failed_transaction_leaves_the_group_checked_meanwhile_to_commit(
    sequencer: Sequencer, body: Certifier, monkeypatch: pytest.MonkeyPatch, client: TestClient
) -> None:
    held = HeldCommit(monkeypatch, fail=True)
    tokens = [body.credential(f"IT/044/{n:03d}") for n in range(2)]
    failing = sequencer.certificate(tokens[0])
    held.wait_entered()
    next_group = sequencer.certificate(tokens[1])
    held.released.set()

    with pytest.raises(OperationalError):
        failing.result(timeout=WAIT_S)
    _leaf(next_group)
    assert client.get(f"/v1/certificates/{certificate_id(tokens[0])}").status_code == 404


def test_checks_failing_as_a_whole_are_made_again_for_each_member(
    context: RegistryContext, body: Certifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group whose checks fail (here: the read connection drops) is checked member by member: the
    forged one is refused on its own and the others are logged together."""
    real = submission.prepare

    def prepare_refusing_groups(connection: Any, tokens: Sequence[str], **kwargs: Any) -> submission.Prepared:
        if len(tokens) > 1:
            raise OperationalError("SELECT", {}, Exception("the server closed the connection"))
        return real(connection, tokens, **kwargs)

    monkeypatch.setattr(submission, "prepare", prepare_refusing_groups)
    fresh = [body.credential(f"IT/044/{n:03d}") for n in range(3)]
    tokens = [fresh[0], fresh[1][:-4] + "AAAA", fresh[2]]
    sequencer = Sequencer(max_items=100, max_wait_s=0)
    futures = [sequencer.certificate(token) for token in tokens]  # queued before `start`: one group
    sequencer.start(context)
    try:
        items = [future.result(timeout=WAIT_S) for future in futures]
    finally:
        sequencer.close()
    assert [item.outcome for item in items] == [Outcome.ACCEPTED, Outcome.REJECTED, Outcome.ACCEPTED]
    assert sequencer.groups == 1, "the members that passed alone are still logged as one group"


def test_a_fault_in_the_checker_reaches_its_group_and_the_checker_goes_on(
    sequencer: Sequencer, body: Certifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = submission.prepare
    broken = body.credential("IT/044/000")

    def prepare(connection: Any, tokens: Sequence[str], **kwargs: Any) -> submission.Prepared:
        if broken in tokens:
            raise RuntimeError("a fault in the checks")
        return real(connection, tokens, **kwargs)

    monkeypatch.setattr(submission, "prepare", prepare)
    with pytest.raises(RuntimeError):
        sequencer.certificate(broken).result(timeout=WAIT_S)
    _leaf(sequencer.certificate(body.credential("IT/044/001")))


def test_the_writer_keeps_its_connection_between_groups_and_lets_it_go_after_a_failed_one(
    context: RegistryContext, body: Certifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Consecutive groups are logged on one connection (on SQLite its page cache is then still valid);
    a group whose transaction fails gives its connection back, and `close` returns the last one."""
    used: list[Any] = []
    real = submission.commit

    def commit(connection: Any, signer: Any, prepared: submission.Prepared, **kwargs: Any) -> Any:
        used.append(connection)
        if len(used) == 2:  # the second group: its two members are then committed alone
            raise OperationalError("COMMIT", {}, Exception("the server closed the connection"))
        return real(connection, signer, prepared, **kwargs)

    monkeypatch.setattr(submission, "commit", commit)
    paused = Sequencer(max_items=2, max_wait_s=0)
    futures = [paused.certificate(body.credential(f"IT/044/{n:03d}")) for n in range(6)]  # three groups of two
    paused.start(context)
    try:
        assert all(future.result(timeout=WAIT_S).outcome is Outcome.ACCEPTED for future in futures)
        assert len(used) == 5  # three groups, and the failed one's members each alone
        assert used[0] is used[1], "consecutive groups share the writer's connection"
        assert used[1].closed, "the failed group's connection went back to the pool"
        assert not used[-1].closed, "the writer keeps the connection it logged its last group on"
    finally:
        paused.close()
    assert used[-1].closed
