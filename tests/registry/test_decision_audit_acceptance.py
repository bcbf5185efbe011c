"""An eligibility decision's acceptance (direct or through an agreement) and key heads are audited too.

As in `test_decision_audit`: a real server, plain SQL on its tables behind the log's back, and a
decision that the registry signed from them. The audit replays the agreements, their signatures and
events from the log and judges acceptance with the same pure rules (`verification.recognition`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.recognition.practice import World, build_world, jea_sgls
from tests.recognition.world import post_event, sha256
from tests.registry.live import LiveServer
from tests.registry.test_decision_audit import _audit
from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey

pytestmark = pytest.mark.slow

DATE = "2025-06-01T00:00:00Z"
SGLS_FLOORING = {"accepted": [{"programme": "sgls", "category": "flooring"}]}


def _world(http: httpx.Client, admin_headers: dict[str, str]) -> tuple[World, str]:
    world = build_world(http, admin_headers, ("jea", "sgls"))  # type: ignore[arg-type]  # a live client serves
    return world, jea_sgls(http, world)  # type: ignore[arg-type]


def _eligibility(http: httpx.Client, requirement: dict[str, Any], cert: str) -> dict[str, Any]:
    response = http.post(
        "/v1/verify/eligibility",
        json={"requirement": requirement, "date": DATE, "items": [{"certificate_id": cert}]},
    )
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def test_an_honest_decision_through_an_agreement_is_confirmed(
    server: LiveServer, http: httpx.Client, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    world, agreement = _world(http, admin_headers)
    # SGLS suspends its recognition; JEA proposes lifting it, which joins the chain on SGLS's approval.
    suspended = world["sgls"].event(agreement, 1, agreement, "suspended", "2025-02-01T00:00:00Z")
    assert post_event(http, agreement, suspended)["status_code"] == 201  # type: ignore[arg-type]
    lifted = world["jea"].event(agreement, 2, sha256(suspended), "reinstated", "2025-03-01T00:00:00Z")
    assert post_event(http, agreement, lifted)["status_code"] == 202  # type: ignore[arg-type]
    approval = world["sgls"].event_approval(agreement, sha256(lifted))
    path = f"/v1/agreements/{agreement}/events/{sha256(lifted)}/approvals"
    http.post(path, json={"approval": approval}).raise_for_status()
    through = world["jea"].certificate(http, "JEA-FL-0001", "flooring")  # type: ignore[arg-type]
    outside = world["jea"].certificate(http, "JEA-CP-0001", "computers")  # type: ignore[arg-type]
    direct = world["sgls"].certificate(http, "SGLS-FL-0001", "flooring")  # type: ignore[arg-type]
    response = http.post(
        "/v1/verify/eligibility",
        json={
            "requirement": SGLS_FLOORING,
            "date": DATE,
            "items": [{"certificate_id": through}, {"certificate_id": outside}, {"certificate_id": direct}],
        },
    )
    response.raise_for_status()
    answer = response.json()
    vias = [result["certificates"][0]["accepted_via"] for result in answer["results"]]
    assert vias == ["equivalent", None, "direct"]
    (hop,) = answer["results"][0]["certificates"][0]["path"]
    assert (hop["agreement"], hop["event_head"]["sequence"]) == (agreement, 2)
    code, output = _audit(server, answer, tmp_path, "honest")
    assert code == 0, output
    assert "item 0: confirmed" in output
    assert "accepted through agreement" in output
    assert "item 1: confirmed" in output
    assert "not accepted" in output
    assert "item 2: confirmed" in output
    assert "accepted directly" in output


def test_acceptance_through_an_agreement_terminated_behind_the_log_is_refuted(
    server: LiveServer, http: httpx.Client, admin_headers: dict[str, str], engine: Engine, tmp_path: Path
) -> None:
    world, agreement = _world(http, admin_headers)
    cert = world["jea"].certificate(http, "JEA-FL-0001", "flooring")  # type: ignore[arg-type]
    ended = world["sgls"].event(agreement, 1, agreement, "terminated", "2025-03-01T00:00:00Z")
    assert post_event(http, agreement, ended)["status_code"] == 201  # type: ignore[arg-type]
    assert _eligibility(http, SGLS_FLOORING, cert)["results"][0]["eligible"] is False
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM agreement_events WHERE agreement_id = :id"), {"id": agreement})
        connection.execute(
            text("UPDATE agreements SET event_count = 0, last_event_sha256 = NULL WHERE id = :id"), {"id": agreement}
        )
    # The registry compiles its agreements once per log head: the edited tables are read the next time a
    # leaf that changes them is logged (here an unrelated category), or when a process starts.
    world["sgls"].define(http, "paints")  # type: ignore[arg-type]

    answer = _eligibility(http, SGLS_FLOORING, cert)
    assert answer["results"][0]["eligible"] is True  # the registry was fooled by its own tables
    code, output = _audit(server, answer, tmp_path, "terminated")
    assert code == 1, output
    assert "REFUTED" in output
    assert "AGREEMENT_NOT_IN_FORCE" in output
    assert "terminated" in output
    assert f"agreement {agreement}'s event chain" in output  # the head it relied on is not the log's
    assert "Traceback" not in output


def test_acceptance_for_a_category_outside_the_agreements_scope_is_refuted(
    server: LiveServer, http: httpx.Client, admin_headers: dict[str, str], engine: Engine, tmp_path: Path
) -> None:
    world, _ = _world(http, admin_headers)
    cert = world["jea"].certificate(http, "JEA-CP-0001", "computers")  # type: ignore[arg-type]
    assert _eligibility(http, SGLS_FLOORING, cert)["results"][0]["eligible"] is False
    with engine.begin() as connection:  # the certificate's row now claims a category the agreement maps
        connection.execute(text("UPDATE certificates SET category_code = 'flooring' WHERE id = :id"), {"id": cert})

    answer = _eligibility(http, SGLS_FLOORING, cert)
    (claimed,) = answer["results"][0]["certificates"]
    # The agreement's scope is in its logged bytes; the row's category is what a decision can be fooled by.
    # Its standing notices the row differs from the credential; the acceptance it signs does not.
    assert (claimed["category"], claimed["accepted_via"]) == ("flooring", "equivalent")
    code, output = _audit(server, answer, tmp_path, "scope")
    assert code == 1, output
    assert "CATEGORY_OUT_OF_SCOPE" in output
    assert "category computers" in output
    assert "Traceback" not in output


def test_direct_acceptance_through_a_crosswalk_code_added_behind_the_log_is_refuted(
    server: LiveServer, http: httpx.Client, admin_headers: dict[str, str], engine: Engine, tmp_path: Path
) -> None:
    world, _ = _world(http, admin_headers)
    cert = world["jea"].certificate(http, "JEA-CP-0001", "computers")  # type: ignore[arg-type]
    tender = {"cpv": "30213000"}  # no category of the log lists it
    assert _eligibility(http, tender, cert)["results"][0]["eligible"] is False
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO category_codes (programme_id, code, criteria_version, scheme, value) "
                "VALUES ('jea', 'computers', '1', 'cpv', '30213000')"
            )
        )

    answer = _eligibility(http, tender, cert)
    assert answer["results"][0]["certificates"][0]["accepted_via"] == "direct"
    assert answer["results"][0]["eligible"] is True
    code, output = _audit(server, answer, tmp_path, "crosswalk")
    assert code == 1, output
    assert "the decision says accepted directly, but by the log it is not accepted" in output
    assert "Traceback" not in output


def test_a_key_head_with_the_right_sequence_but_another_event_is_refuted(
    server: LiveServer, http: httpx.Client, admin_headers: dict[str, str], engine: Engine, tmp_path: Path
) -> None:
    world, _ = _world(http, admin_headers)
    jea = world["jea"]
    cert = jea.certificate(http, "JEA-FL-0001", "flooring")  # type: ignore[arg-type]
    jea.keys["spare"] = generate_private_key()
    jwk = PublicKey.from_private_key(jea.keys["spare"], kid="spare").to_jwk()
    added = http.post("/v1/programmes/jea/key-events", json={"event": jea.key_event("add", key=jwk)})
    added.raise_for_status()
    honest = _eligibility(http, SGLS_FLOORING, cert)
    key_head = honest["results"][0]["certificates"][0]["evidence"]["key_head"]
    assert key_head["sequence"] == 1
    with engine.begin() as connection:  # the head names the programme's registration leaf instead
        connection.execute(
            text("UPDATE key_events SET leaf_index = :leaf WHERE programme_id = 'jea' AND sequence = 1"),
            {"leaf": key_head["leaf_index"] - 1},
        )

    answer = _eligibility(http, SGLS_FLOORING, cert)
    assert answer["results"][0]["certificates"][0]["evidence"]["key_head"]["sequence"] == 1
    code, output = _audit(server, answer, tmp_path, "key-head")
    assert code == 1, output
    assert f"key events' head is sequence 1 at leaf {key_head['leaf_index']}" in output
    assert "Traceback" not in output
    code, output = _audit(server, honest, tmp_path, "key-head-honest")
    assert code == 0, output
