"""A catalogue answer does not depend on what the process remembers: memoized standings and verified
credentials give the same bytes as a cold check, and a new status event is seen at once."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from ecolabel_registry.certificates import repository as certificate_rows
from ecolabel_registry.certificates.repository import certificates
from ecolabel_registry.certificates.standing import evidence_of, judge_rows
from ecolabel_registry.db.engine import read_snapshot
from ecolabel_registry.errors import LogIntegrityError
from ecolabel_registry.programmes import keys
from tests.registry.factories import Certifier, certificate_id, certifier
from verification import standing
from verification.jwk import PublicKey

REQUIREMENT = {"accepted": [{"programme": "eu-ecolabel", "category": "044"}], "markets": ["IT"]}


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "eu-ecolabel")


def _submit(client: TestClient, token: str) -> str:
    client.post("/v1/certificates", json={"credential": token}).raise_for_status()
    return certificate_id(token)


def _items(ids: list[str]) -> list[dict[str, Any]]:
    """Named every way, each certificate several times, among hundreds of names that match nothing
    (more than one SQLite statement's worth of bound values before lists became one JSON array)."""
    items: list[dict[str, Any]] = []
    for n, cid in enumerate(ids):
        items += [{"ref": f"id-{n}", "certificate_id": cid}, {"certificate_id": cid}]
        items.append({"ref": f"licence-{n}", "programme": "eu-ecolabel", "licence_number": f"IT/044/{n:03d}"})
    items += [{"certificate_id": f"{n:064x}"} for n in range(450)]
    items += [{"programme": "eu-ecolabel", "licence_number": f"XX/{n}"} for n in range(450)]
    items += [{"gtin": f"{40_000_000 + n}"} for n in range(450)]
    return items


def _check(client: TestClient, items: list[dict[str, Any]]) -> tuple[bytes, dict[str, Any]]:
    """The answer without its decision, as bytes, and the decision's claims without `iat`."""
    response = client.post(
        "/v1/verify/eligibility", json={"requirement": REQUIREMENT, "date": "2025-06-01T00:00:00Z", "items": items}
    )
    assert response.status_code == 200, response.text
    decision = response.json()["decision"]
    claims = orjson.loads(base64.urlsafe_b64decode(decision.split(".")[1] + "=="))
    claims.pop("iat")
    return response.content.replace(decision.encode(), b""), claims


def test_a_warm_answer_is_byte_for_byte_the_cold_one(client: TestClient, body: Certifier) -> None:
    ids = [_submit(client, body.credential(f"IT/044/{n:03d}")) for n in range(3)]
    standing._JUDGED.clear()
    standing._VERIFIED.clear()
    cold = _check(client, _items(ids))
    assert cold == _check(client, _items(ids))
    assert cold[1]["itemCount"] == 3 * 3 + 3 * 450
    assert cold[1]["eligibleCount"] == 3 * 3  # every line that names a certificate


def test_a_status_event_after_a_check_is_seen_by_the_next_one(client: TestClient, body: Certifier) -> None:
    cid = _submit(client, body.credential("IT/044/000"))
    before = _check(client, _items([cid]))
    event = body.status_event(cid, 1, cid, "suspended", effectiveAt="2025-03-01T00:00:00Z")
    client.post(f"/v1/certificates/{cid}/events", json={"event": event}).raise_for_status()
    after = _check(client, _items([cid]))
    assert b"CERTIFICATE_SUSPENDED" not in before[0]
    assert b"CERTIFICATE_SUSPENDED" in after[0]


def test_each_certificate_answered_is_the_rule_applied_to_its_rows_as_sqlalchemy_reads_them(
    client: TestClient, body: Certifier
) -> None:
    """The catalogue reads rows on the driver's cursor and shares evidence parts between certificates;
    each certificate in its answer must still be what the standing rule and `evidence_of` say about the
    rows `Connection.execute` reads: status events, markets not covered, every way of naming a line."""
    ids = [_submit(client, body.credential(f"IT/044/{n:03d}")) for n in range(4)]
    event = body.status_event(ids[1], 1, ids[1], "suspended", effectiveAt="2025-03-01T00:00:00Z")
    client.post(f"/v1/certificates/{ids[1]}/events", json={"event": event}).raise_for_status()
    payload = body.credential_payload("IT/044/009")
    payload["credentialSubject"] = {**payload["credentialSubject"], "licenceNumber": "IT/044/009", "markets": ["DE"]}
    ids.append(_submit(client, body.sign(payload, "vc+jwt")))
    items = _items(ids) + [{"gtin": "4006381333931", "model": model} for model in ("VW-100X", "vw-100", "XX", None)]
    standing._JUDGED.clear()
    response = client.post(
        "/v1/verify/eligibility", json={"requirement": REQUIREMENT, "date": "2025-06-01T00:00:00Z", "items": items}
    )
    assert response.status_code == 200, response.text
    answered = {c["id"]: c for result in response.json()["results"] for c in result["certificates"]}
    assert set(answered) == set(ids)
    engine = client.app.state.registry.engine
    at = datetime(2025, 6, 1, tzinfo=UTC)
    with read_snapshot(engine) as connection:
        rows = {i: connection.execute(select(certificates).where(certificates.c.id == i)).mappings().one() for i in ids}
        events = certificate_rows.events_of(connection, sorted(ids))
        standings = judge_rows(connection, rows, at=at, events=events)
        heads = keys.heads(connection, ["eu-ecolabel"])
    for cid, row in rows.items():
        judged, rule = answered[cid], standings[cid]
        markets = [] if "IT" in row["markets"] else ["MARKET_NOT_COVERED"]
        assert judged["status"] == rule.status.value
        assert judged["criteria_version"] == rule.criteria_version
        assert judged["reasons"] == [*rule.reasons, *markets]
        assert judged["eligible"] == (rule.valid and not markets)
        assert judged["evidence"] == evidence_of(row, events.get(cid, []), heads["eu-ecolabel"]).to_api()
    assert [answered[i]["eligible"] for i in ids] == [True, False, True, True, False]


@pytest.fixture
def one_by_one(client: TestClient) -> Iterator[Callable[[], None]]:
    """Switches the app to verifying each first sight in the standing that meets it (no pool)."""
    registry = client.app.state.registry  # type: ignore[attr-defined]  # set by the app's lifespan

    def switch() -> None:
        client.app.state.registry = replace(registry, first_sights=None)  # type: ignore[attr-defined]

    yield switch
    client.app.state.registry = registry  # type: ignore[attr-defined]


def test_first_sights_on_two_threads_answer_what_one_thread_answers(
    client: TestClient, body: Certifier, one_by_one: Callable[[], None]
) -> None:
    ids = [_submit(client, body.credential(f"IT/044/{n:03d}")) for n in range(12)]
    # One stored credential is swapped for another's bytes: refused as altered either way.
    with client.app.state.registry.engine.begin() as connection:  # type: ignore[attr-defined]
        leaf = connection.execute(select(certificates.c.leaf_index).where(certificates.c.id == ids[5])).scalar_one()
        other = connection.execute(select(certificates.c.leaf_index).where(certificates.c.id == ids[6])).scalar_one()
        connection.execute(
            text("UPDATE log_entries SET document = (SELECT document FROM log_entries WHERE leaf_index = :o) "
                 "WHERE leaf_index = :l"), {"o": other, "l": leaf},
        )  # fmt: skip
    standing._JUDGED.clear()
    standing._VERIFIED.clear()
    on_two = _check(client, _items(ids))
    assert len(standing._VERIFIED) == len(ids) - 1
    one_by_one()
    standing._JUDGED.clear()
    standing._VERIFIED.clear()
    assert _check(client, _items(ids)) == on_two
    assert b"DOCUMENT_ALTERED" in on_two[0]
    assert on_two[1]["eligibleCount"] == 3 * (len(ids) - 1)


def test_an_error_while_verifying_on_the_pools_thread_is_the_problem_document_of_one_thread(
    client: TestClient, body: Certifier, one_by_one: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [_submit(client, body.credential(f"IT/044/{n:03d}")) for n in range(8)]
    verify = standing.verify_compact
    failed = threading.Event()
    on_the_pool: list[bool] = []

    def failing(token: str, key: PublicKey, **kwargs: Any) -> Any:
        pooled = threading.current_thread().name.startswith("first-sight")
        if pooled or client.app.state.registry.first_sights is None:  # type: ignore[attr-defined]
            on_the_pool.append(pooled)
            failed.set()
            raise LogIntegrityError("a stored credential could not be read")
        assert failed.wait(timeout=30)  # the request's thread holds its credential until the pool's has failed
        return verify(token, key, **kwargs)

    def problem() -> tuple[int, bytes]:
        standing._JUDGED.clear()
        standing._VERIFIED.clear()
        failed.clear()
        response = client.post(
            "/v1/verify/eligibility",
            json={"requirement": REQUIREMENT, "date": "2025-06-01T00:00:00Z", "items": _items(ids)},
        )
        return response.status_code, response.content

    monkeypatch.setattr(standing, "verify_compact", failing)
    on_two = problem()
    assert on_the_pool == [True]
    one_by_one()
    assert problem() == on_two
    assert on_the_pool == [True, False]
    assert on_two[0] == 500
    assert orjson.loads(on_two[1])["type"] == "urn:ecolabel-registry:problem:log-integrity"
