"""Fan-out after the commit: a status event's transaction never touches watchlists, the worker then
matches it, and a matching pass that fails or races another makes each delivery exactly once."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError

from ecolabel_registry.app import create_app
from ecolabel_registry.settings import Settings
from tests.registry.conftest import ADMIN_TOKEN, LOG_ORIGIN
from tests.registry.factories import certifier
from tests.webhooks.conftest import Receiver
from tests.webhooks.world import InProcessWorker, certificates, deliveries, subscribe, suspend

WATCHLIST_TABLES = re.compile(r"\b(subscriptions|subscribers|outbox|delivery_attempts|webhook_cursor)\b")
WATCHERS = 40


@pytest.fixture
def settings(settings: Settings) -> Settings:  # the receiver listens on loopback, which is refused by default
    return settings.model_copy(update={"webhook_allow_private": True, "webhook_max_subscriptions_per_owner": 1000})


def test_a_status_event_touches_no_watchlist_table_and_the_worker_then_delivers(
    client: TestClient, admin_headers: dict[str, str], receiver: Receiver, worker: InProcessWorker
) -> None:
    body = certifier(client, admin_headers, "eu-ecolabel")
    (cert,) = certificates(client, body, 1)
    watchers = [subscribe(client, receiver.url, "programme", "eu-ecolabel") for _ in range(WATCHERS)]
    statements: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = client.app.state.registry.engine  # type: ignore[attr-defined]  # the app's own engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        suspend(client, body, cert)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert any("certificate_events" in statement for statement in statements)  # the listener saw the write
    assert [statement for statement in statements if WATCHLIST_TABLES.search(statement)] == []
    assert all(deliveries(client, watcher) == [] for watcher in watchers)  # nothing queued by the write

    with httpx.Client() as http:
        assert worker.match() == WATCHERS
        assert "ecolabel_webhook_unmatched_leaves 0.0" in client.get("/metrics").text
        assert worker.deliver(http) == min(WATCHERS, 20)  # one claim of the worker's batch size
        while worker.deliver(http):
            pass
    assert len(receiver.keys()) == WATCHERS
    assert all([d["state"] for d in deliveries(client, watcher)] == ["delivered"] for watcher in watchers)


@pytest.fixture
def postgres_settings(postgres_database: Any, tmp_path: Path) -> Settings:
    """Settings on the PostgreSQL test database alone: the lock below is a PostgreSQL table lock."""
    postgres_database.reset()
    return Settings(
        database_url=postgres_database.url,
        admin_token=ADMIN_TOKEN,
        signing_key_path=tmp_path / "registry-key.pem",
        admin_token_path=tmp_path / "admin-token",
        log_origin=LOG_ORIGIN,
        webhook_allow_private=True,
    )


@pytest.fixture
def locked_watchlists(postgres_settings: Settings) -> Iterator[Connection]:
    """Another session holding ACCESS EXCLUSIVE locks on every watchlist table until the test ends."""
    locker = create_engine(postgres_settings.database_url)
    with locker.connect() as connection:
        yield connection
        connection.rollback()
    locker.dispose()


def test_a_status_event_commits_while_another_session_locks_the_watchlist_tables(
    postgres_settings: Settings,
    admin_headers: dict[str, str],
    receiver: Receiver,
    locked_watchlists: Connection,
) -> None:
    with TestClient(create_app(postgres_settings), raise_server_exceptions=False) as client:
        body = certifier(client, admin_headers, "eu-ecolabel")
        (cert,) = certificates(client, body, 1)
        subscribe(client, receiver.url, "certificate", cert)
        locked_watchlists.execute(
            text(
                "LOCK TABLE subscriptions, subscribers, outbox, delivery_attempts, webhook_cursor"
                " IN ACCESS EXCLUSIVE MODE"
            )
        )
        answers: list[int] = []
        event = body.status_event(cert, 1, cert, "suspended")
        writer = threading.Thread(
            target=lambda: answers.append(
                client.post(f"/v1/certificates/{cert}/events", json={"event": event}).status_code
            )
        )
        writer.start()
        # A bounded wait, so that a write blocked by the lock fails the test instead of hanging it.
        writer.join(timeout=60)
        committed = not writer.is_alive()
        locked_watchlists.rollback()  # release: a blocked write can finish now
        writer.join()
    assert committed, "the status event waited for a lock on a watchlist table"
    assert answers == [201]


def _watch_and_suspend(
    client: TestClient, admin_headers: dict[str, str], receiver: Receiver
) -> tuple[list[str], list[int]]:
    """Three subscriptions watching a programme whose two certificates are then suspended."""
    body = certifier(client, admin_headers, "eu-ecolabel")
    certs = certificates(client, body, 2)
    watchers = sorted(subscribe(client, receiver.url, "programme", "eu-ecolabel") for _ in range(3))
    for cert in certs:
        suspend(client, body, cert)
    leaves = [client.get(f"/v1/certificates/{cert}").json()["history"][0]["leaf_index"] for cert in certs]
    return watchers, leaves


def _expected_keys(watchers: list[str], leaves: list[int]) -> set[str]:
    return {hashlib.sha256(f"{w}:{leaf}".encode()).hexdigest() for w in watchers for leaf in leaves}


def _queued_keys(client: TestClient, watchers: list[str]) -> list[str]:
    return [str(d["idempotency_key"]) for watcher in watchers for d in deliveries(client, watcher)]


def _refuse_outbox_rows_for(connection: Connection, subscription: str) -> None:
    """A database that fails part-way through a matching transaction (the last row it inserts)."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(
                "CREATE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.subscription_id = '{subscription}' THEN RAISE EXCEPTION 'disk full'; END IF; "
                "RETURN NEW; END $$"
            )
        )
        connection.execute(
            text("CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION refuse_row()")
        )
    else:
        connection.execute(
            text(
                "CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox "
                f"WHEN NEW.subscription_id = '{subscription}' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )


def _allow_outbox_rows(connection: Connection) -> None:
    connection.execute(
        text("DROP TRIGGER refuse_outbox" + (" ON outbox" if connection.dialect.name == "postgresql" else ""))
    )
    if connection.dialect.name == "postgresql":
        connection.execute(text("DROP FUNCTION refuse_row()"))


def test_a_matching_pass_that_fails_midway_queues_nothing_and_the_next_queues_each_once(
    client: TestClient, admin_headers: dict[str, str], receiver: Receiver, worker: InProcessWorker
) -> None:
    watchers, leaves = _watch_and_suspend(client, admin_headers, receiver)
    with worker.engine.begin() as connection:
        _refuse_outbox_rows_for(connection, watchers[-1])  # its rows come after the others' in the insert
    try:
        with pytest.raises(SQLAlchemyError, match="disk full"):
            worker.match()
        assert _queued_keys(client, watchers) == []  # not even the rows inserted before the failure
    finally:
        with worker.engine.begin() as connection:
            _allow_outbox_rows(connection)
    assert worker.match() == len(watchers) * len(leaves)  # the cursor did not move: the same events again
    assert worker.match() == 0
    queued = _queued_keys(client, watchers)
    assert sorted(queued) == sorted(_expected_keys(watchers, leaves))  # each exactly once


def test_two_workers_matching_at_once_queue_each_delivery_once(
    client: TestClient, admin_headers: dict[str, str], receiver: Receiver, worker: InProcessWorker
) -> None:
    watchers, leaves = _watch_and_suspend(client, admin_headers, receiver)
    counts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def match() -> None:
        try:
            start.wait()
            counts.append(worker.match())
        except BaseException as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=match) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    while worker.match():  # a pass that gave way to the other leaves nothing behind for the next
        pass
    assert sorted(_queued_keys(client, watchers)) == sorted(_expected_keys(watchers, leaves))
    assert sum(counts) <= len(watchers) * len(leaves)
