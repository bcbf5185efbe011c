"""Recognition answers are byte for byte what the plain assembly writes, over the demo world.

The three recognition endpoints answer from the graph confirmed per checkpoint and send the JSON their
own response model writes (`api.answers`). Here every question over the demo world's agreements (about a
programme's category and about one of its certificates, with a date and without, that is "now") is
asked over HTTP and answered again by the plain assembly: the graph compiled afresh in the answer's
snapshot, the checkpoint read by `service.judged_at`, and the model serialized as FastAPI serializes a
`response_model`. The bytes must be equal, and so must the media type.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import Connection, Engine, select

from ecolabel_registry.api import equivalence as equivalence_api
from ecolabel_registry.app import build_context, create_app
from ecolabel_registry.certificates import at_head
from ecolabel_registry.certificates.repository import certificates
from ecolabel_registry.db.engine import build_engine, read_snapshot, single_statements
from ecolabel_registry.demo.loader import load
from ecolabel_registry.demo.spec import World
from ecolabel_registry.recognition import compiled, service, trqp
from ecolabel_registry.recognition.schemas import EquivalenceOut
from ecolabel_registry.recognition.trqp_schemas import (
    AuthorizationAnswer,
    AuthorizationQuery,
    RecognitionAnswer,
    RecognitionQuery,
)
from ecolabel_registry.settings import Settings
from tests.recognition.demo_worlds import demo_world
from verification.leaf import to_microseconds

NOW = datetime(2025, 9, 1, 12, 30, 15, 123456, tzinfo=UTC)  # "now" for every answer, asked and replayed
DATES = (None, "2025-06-01T00:00:00Z", "2019-01-01T00:00:00Z")


@pytest.fixture
def demo(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, World, dict[tuple[str, str], str]]]:
    world = demo_world(1)
    context = build_context(settings)
    try:
        load(context, world, tmp_path / "demo-keys", workers=1)
        with context.engine.connect() as connection:
            rows = connection.execute(
                select(certificates.c.programme_id, certificates.c.category_code, certificates.c.id)
            )
            ids = {(row.programme_id, row.category_code): row.id for row in rows}
    finally:
        context.engine.dispose()
    monkeypatch.setattr(trqp, "now_us", lambda: to_microseconds(NOW))
    monkeypatch.setattr(equivalence_api, "now", lambda: NOW)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, world, ids


def _questions(world: World) -> list[tuple[str, str, str, str]]:
    found: dict[tuple[str, str, str, str], None] = {}
    for agreement in world.agreements:
        for mapping in agreement.scope:
            a, b = mapping.from_, mapping.to
            found[(a.programme, a.category, b.programme, b.category)] = None
            found[(b.programme, b.category, a.programme, a.category)] = None
    return list(found)


def _plain(connection: Connection) -> tuple[compiled.Compiled, dict[str, Any]]:
    """The graph and checkpoint as the answers read them before the per-checkpoint confirmation."""
    return compiled.compile_at(connection, compiled.read_head(connection)), service.judged_at(connection)


def _plain_current(engine: Engine) -> tuple[compiled.Compiled, dict[str, Any]]:
    with read_snapshot(engine) as connection:
        return _plain(connection)


def _plain_trqp(engine: Engine, body: dict[str, Any], kind: str, monkeypatch: pytest.MonkeyPatch) -> bytes:
    query_type, answer_type, verdict = (
        (RecognitionQuery, RecognitionAnswer, "recognized")
        if kind == "recognition"
        else (AuthorizationQuery, AuthorizationAnswer, "authorized")
    )
    query = query_type.model_validate(body)
    with monkeypatch.context() as patch:
        patch.setattr(compiled, "at_checkpoint", _plain)
        patch.setattr(compiled, "current", _plain_current)
        evaluation = trqp.evaluate(engine, query, max_depth=3)
    resolution = evaluation.resolution
    model = answer_type(
        entity_id=query.entity_id,
        authority_id=query.authority_id,
        action=query.action,
        resource=query.resource,
        time_requested=evaluation.time_requested,
        time_evaluated=evaluation.time_evaluated,
        message=evaluation.message,
        context=query.context,
        decision=resolution.decision,
        reasons=[reason.code for reason in resolution.reasons],
        agreements=[hop.agreement_id for hop in resolution.path],
        judged_at=evaluation.judged_at,
        evidence=evaluation.evidence,
        agreement_heads=evaluation.agreement_heads,
        **{verdict: resolution.accepted},
    )
    return TypeAdapter(answer_type).dump_json(model, by_alias=True, exclude_none=True)


def _plain_equivalence(engine: Engine, subject: dict[str, str], accepted: str, date: str | None) -> bytes:
    at = datetime.fromisoformat(date.replace("Z", "+00:00")) if date else NOW
    with read_snapshot(engine) as connection:
        graph, judged = _plain(connection)
        target = service.requirement(graph, accepted=[accepted], cpv=None, cn_procurement=None)
        evidence = None
        certificate_id = subject.get("certificate_id")
        if certificate_id is not None:
            presented, evidence = service.judged_certificate(connection, certificate_id, at=at, known_at_us=None)
        else:
            presented = service.category_subject(graph, subject["programme"], subject["category"], None)
        resolution = service.answer(graph, presented, target, at=at, known_at_us=None, max_depth=3)
        heads = service.agreement_heads(graph, resolution)
    out = service.render(
        certificate_id,
        presented,
        target,
        resolution,
        at=at,
        known_at=None,
        judged=judged,
        evidence=evidence,
        heads=heads,
    )
    return TypeAdapter(EquivalenceOut).dump_json(out, by_alias=True)


def test_answers_are_the_bytes_the_plain_assembly_writes(
    demo: tuple[TestClient, World, dict[tuple[str, str], str]], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, world, ids = demo
    engine = build_engine(settings.database_url, pool_size=1)
    try:
        _ask_everything(client, world, ids, engine, monkeypatch)
    finally:
        engine.dispose()


def _ask_everything(
    client: TestClient,
    world: World,
    ids: dict[tuple[str, str], str],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decisions: set[str] = set()
    for programme, category, target, code in _questions(world):
        certificate = ids[(programme, category)]
        for date in DATES:
            context = {"category": category} | ({"time": date} if date else {})
            for kind, entity, extra in (
                ("recognition", programme, context),
                ("authorization", certificate, {"time": date} if date else None),
            ):
                body: dict[str, Any] = {"entity_id": entity, "authority_id": target, "action": "recognize"}
                body |= {"resource": code} | ({"context": extra} if extra else {})
                response = client.post(f"/trqp/v2/{kind}", json=body)
                assert response.status_code == 200, response.text
                assert response.headers["content-type"] == "application/json"
                assert response.content == _plain_trqp(engine, body, kind, monkeypatch), (kind, body)
                decisions.add(response.json()["decision"])
            for subject in ({"programme": programme, "category": category}, {"certificate_id": certificate}):
                accepted = f"{target}:{code}"
                query = subject | {"accepted": accepted} | ({"date": date} if date else {})
                response = client.get("/v1/equivalence?" + urllib.parse.urlencode(query))
                assert response.status_code == 200, response.text
                assert response.headers["content-type"] == "application/json"
                assert response.content == _plain_equivalence(engine, subject, accepted, date), query
    assert decisions >= {"accepted_through_agreement", "not_accepted"}


def test_certificates_read_together_are_each_the_row_read_alone(
    demo: tuple[TestClient, World, dict[tuple[str, str], str]], settings: Settings
) -> None:
    # A certificate's one-statement read outside a transaction is the row a read snapshot gives; and on
    # PostgreSQL, where the requests waiting together share one statement (`recognition.reads`), each
    # certificate's row in it is the row its own statement gives, so its answer is the same bytes.
    _, _, ids = demo
    engine = build_engine(settings.database_url, pool_size=1)
    try:
        wanted = sorted(ids.values())
        with single_statements(engine) as connection:
            alone = {certificate_id: at_head.read(connection, certificate_id) for certificate_id in wanted}
        with read_snapshot(engine) as snapshot:
            assert {certificate_id: at_head.read(snapshot, certificate_id) for certificate_id in wanted} == alone
        if engine.dialect.name == "postgresql":
            with single_statements(engine) as connection:
                # The shared read also gives the checkpoint's note, which the single verification sends.
                together = at_head.read_many(connection, [*wanted, "0" * 64])
                assert all(found.row["head_checkpoint"] for found in together.values())
                assert {key: _without_note(found) for key, found in together.items()} == alone
                # One id alone takes the same statement for one id: the same row, and none for an unknown id.
                assert {key: _without_note(at_head.read_many(connection, [key])[key]) for key in wanted} == alone
                assert at_head.read_many(connection, ["0" * 64]) == {}
        assert len(alone) == len(wanted) > 1
        assert None not in alone.values()
    finally:
        engine.dispose()


def _without_note(found: at_head.AtHead) -> at_head.AtHead:
    """`found` as `at_head.read` gives it: without the checkpoint's note, which no answer it serves names."""
    return found._replace(row={key: value for key, value in found.row.items() if key != "head_checkpoint"})
