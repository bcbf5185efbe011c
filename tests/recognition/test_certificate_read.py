"""A certificate's status events come with its one-statement read, the events a read snapshot gives.

A recognition answer about a certificate reads it, its key, key head, checkpoint and status events in
one statement (`certificates.at_head`), so a certificate with events is answered from that statement
too, on the event loop on PostgreSQL (`recognition.reads`). Here every certificate of the demo world is
read that way and by the plain assembly in a read snapshot (`service.judged_certificate`, the events by
`certificates.repository.events_of`): the events, standings and evidence must agree on every date. A
count the events do not match (the table edited behind the registry's back) leaves the statement's
events unread, and the answer to a read snapshot, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from ecolabel_registry.app import build_context
from ecolabel_registry.certificates import at_head
from ecolabel_registry.certificates import repository as certificate_rows
from ecolabel_registry.certificates.repository import certificates
from ecolabel_registry.db.engine import build_engine, read_snapshot, single_statements
from ecolabel_registry.db.raw import DriverConnection
from ecolabel_registry.demo.loader import load
from ecolabel_registry.recognition import compiled, reads, service
from ecolabel_registry.settings import Settings
from tests.fresh_loop import run_fresh
from tests.recognition.demo_worlds import demo_world

DATES = tuple(datetime(year, 6, 1, tzinfo=UTC) for year in (2019, 2024, 2025, 2026, 2031))
FIELDS = ("sequence", "status", "effective_us", "valid_until_us", "integrated_us", "sha256", "leaf_index")


@pytest.fixture
def engine(settings: Settings, tmp_path: Path) -> Iterator[Engine]:
    context = build_context(settings)
    try:
        load(context, demo_world(1), tmp_path / "demo-keys", workers=1)
    finally:
        context.engine.dispose()
    built = build_engine(settings.database_url, pool_size=2)
    yield built
    built.dispose()


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(select(certificates.c.id, certificates.c.event_count))
        return {row.id: row.event_count for row in rows}


def test_the_statement_reads_the_events_a_snapshot_reads(engine: Engine) -> None:
    counts = _counts(engine)
    assert any(counts.values())  # certificates with events
    assert not all(counts.values())  # and without
    for certificate_id, count in counts.items():
        read = service.read_certificate(engine, certificate_id)
        assert read is not None
        with single_statements(engine) as connection:
            found = at_head.read(connection, certificate_id)
        with read_snapshot(engine) as snapshot:
            rows = certificate_rows.events_of(snapshot, [certificate_id])[certificate_id]
            assert found is not None
            assert found.events is not None
            assert [tuple(event[name] for name in FIELDS) for event in found.events] == [
                tuple(row[name] for name in FIELDS) for row in rows
            ]
            assert len(rows) == count
            for date in DATES:
                plain = service.judged_certificate(snapshot, certificate_id, at=date, known_at_us=None)
                assert service.judged_read(read, at=date, known_at_us=None) == plain, (certificate_id, date)


def test_events_that_disagree_with_the_count_are_read_in_a_snapshot(engine: Engine) -> None:
    certificate_id = next(i for i, count in _counts(engine).items() if count)
    with engine.begin() as connection:  # as an intruder with database access could
        connection.execute(
            text("UPDATE certificates SET event_count = event_count + 1 WHERE id = :id"), {"id": certificate_id}
        )
    with single_statements(engine) as connection:
        found = at_head.read(connection, certificate_id)
    assert found is not None
    assert found.has_events
    assert found.events is None
    read = service.read_certificate(engine, certificate_id)  # the snapshot's events, all of them
    assert read is not None
    with read_snapshot(engine) as snapshot:
        rows = certificate_rows.events_of(snapshot, [certificate_id])[certificate_id]
        assert list(read.events) == rows
        plain = service.judged_certificate(snapshot, certificate_id, at=DATES[2], known_at_us=None)
    assert service.judged_read(read, at=DATES[2], known_at_us=None) == plain
    if engine.dialect.name == "postgresql":  # the shared read gives no answer: it goes to a thread
        assert run_fresh(lambda: reads.read_ahead(engine, certificate_id)) is None
        other = next(i for i in _counts(engine) if i != certificate_id)  # not the first row: rows are unordered
        assert run_fresh(lambda: reads.read_ahead(engine, other)) is not None


def test_programme_questions_read_with_certificates_take_the_checkpoint_of_their_statement(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The questions that wait together share one read (`recognition.reads`, PostgreSQL's way; run here
    # on both backends): the certificates' statement reads the checkpoint row with them, one snapshot, so
    # a programme question among them takes that checkpoint instead of a statement of its own.
    ids = sorted(_counts(engine))
    with single_statements(engine) as connection:
        checkpoint = compiled.read_checkpoint(connection)
    alone: list[object] = []
    read_alone = compiled.read_checkpoint

    def counted(connection: DriverConnection) -> tuple[int, bytes]:
        alone.append(connection)
        return read_alone(connection)

    monkeypatch.setattr(compiled, "read_checkpoint", counted)
    batches = [[ids[0], None], [None, ids[0]]]
    if engine.dialect.name == "postgresql":  # several ids in one statement: PostgreSQL only
        batches.append([*ids[:3], None])
    for keys in batches:
        found = reads._fetch(engine, keys)
        certificate = found[ids[0]]
        assert isinstance(certificate, at_head.AtHead)
        assert found[None] == (certificate.tree_size, certificate.root_hash) == checkpoint
    assert alone == []
    unknown = "0" * 64  # nothing found: the checkpoint is read alone
    assert reads._fetch(engine, [unknown, None]) == {unknown: None, None: checkpoint}
    assert reads._fetch(engine, [None]) == {None: checkpoint}
    assert len(alone) == 2
