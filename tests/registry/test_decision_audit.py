"""A decision signed from tampered tables is refuted by anyone who holds it: `ecolabel-verify audit-decision`.

The registry runs as a real server process; the tampering is plain SQL on its database, as an intruder
with database access could do it. The log itself is untouched, so the monitor alone finds nothing; the
decision names the checkpoint and the chain heads it relied on, and replaying the log up to that
checkpoint gives another answer.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from tests.registry.factories import Certifier, certificate_id, certifier
from tests.registry.live import LiveServer
from verification.cli import app as verify_cli
from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey

pytestmark = pytest.mark.slow

DATE = "2025-06-01T00:00:00Z"


@pytest.fixture
def body(http: httpx.Client, admin_headers: dict[str, str]) -> Certifier:
    return certifier(http, admin_headers, "eu-ecolabel")


def _submit(http: httpx.Client, token: str) -> str:
    http.post("/v1/certificates", json={"credential": token}).raise_for_status()
    return certificate_id(token)


def _eligibility(http: httpx.Client, cert: str) -> dict[str, Any]:
    response = http.post(
        "/v1/verify/eligibility",
        json={
            "requirement": {"accepted": [{"programme": "eu-ecolabel"}]},
            "date": DATE,
            "items": [{"certificate_id": cert}],
        },
    )
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def _single(http: httpx.Client, cert: str) -> dict[str, Any]:
    response = http.get(f"/v1/verify/certificates/{cert}", params={"as_of": DATE})
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def _audit(server: LiveServer, saved: dict[str, Any], tmp_path: Path, name: str) -> tuple[int, str]:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(saved), encoding="utf-8")
    result = CliRunner().invoke(verify_cli, ["audit-decision", str(path), "--registry", server.url])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _withdraw(http: httpx.Client, body: Certifier, cert: str) -> None:
    event = body.status_event(cert, 1, cert, "withdrawn", effectiveAt="2025-03-01T00:00:00Z")
    http.post(f"/v1/certificates/{cert}/events", json={"event": event}).raise_for_status()


def _delete_withdrawal(engine: Engine, cert: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM certificate_events WHERE certificate_id = :id"), {"id": cert})
        connection.execute(
            text(
                "UPDATE certificates SET event_count = 0, last_event_sha256 = NULL, lifecycle = 'active' WHERE id = :id"
            ),
            {"id": cert},
        )


def test_an_honest_decision_is_confirmed_item_by_item(
    server: LiveServer, http: httpx.Client, body: Certifier, tmp_path: Path
) -> None:
    active = _submit(http, body.credential("IT/044/005"))
    withdrawn = _submit(http, body.credential("IT/044/006"))
    _withdraw(http, body, withdrawn)
    for cert, eligible in ((active, True), (withdrawn, False)):
        answer = _eligibility(http, cert)
        assert answer["results"][0]["eligible"] is eligible
        evidence = answer["results"][0]["certificates"][0]["evidence"]
        assert evidence["status_head"]["sequence"] == (0 if eligible else 1)
        assert answer["judged_at"]["tree_size"] > evidence["leaf_index"]
        code, output = _audit(server, answer, tmp_path, f"eligibility-{eligible}")
        assert code == 0, output
        assert "confirmed by the log" in output
    code, output = _audit(server, _single(http, withdrawn), tmp_path, "single")
    assert code == 0, output


def test_a_deleted_withdrawal_is_refuted(
    server: LiveServer, http: httpx.Client, body: Certifier, engine: Engine, tmp_path: Path
) -> None:
    cert = _submit(http, body.credential("IT/044/005"))
    _withdraw(http, body, cert)
    _delete_withdrawal(engine, cert)

    answer = _eligibility(http, cert)
    assert answer["results"][0]["eligible"] is True  # the registry was fooled by its own tables
    code, output = _audit(server, answer, tmp_path, "eligibility")
    assert code == 1, output
    assert "REFUTED" in output
    assert "withdrawn" in output
    assert "FAILED 1 of 1 answers" in output
    assert "Traceback" not in output

    single = _single(http, cert)
    assert single["decision"] == "valid"
    code, output = _audit(server, single, tmp_path, "single")
    assert code == 1, output
    assert "status chain's head is sequence 1" in output


def test_a_revoked_key_made_good_again_is_refuted(
    server: LiveServer, http: httpx.Client, body: Certifier, engine: Engine, tmp_path: Path
) -> None:
    cert = _submit(http, body.credential("IT/044/005"))
    compromised_since = http.get(f"/v1/certificates/{cert}").json()["integrated_at"]
    time.sleep(0.002)
    body.keys["clean"] = generate_private_key()
    jwk = PublicKey.from_private_key(body.keys["clean"], kid="clean").to_jwk()
    path = f"/v1/programmes/{body.programme_id}/key-events"
    http.post(path, json={"event": body.key_event("add", key=jwk)}).raise_for_status()
    revoke = body.key_event("revoke", kid=body.kid, compromisedSince=compromised_since)
    http.post(path, json={"event": revoke}).raise_for_status()
    assert _eligibility(http, cert)["results"][0]["eligible"] is False
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE programme_keys SET compromised_since_us = NULL, ended_us = NULL WHERE kid = :kid"),
            {"kid": body.kid},
        )

    answer = _eligibility(http, cert)
    assert answer["results"][0]["eligible"] is True
    code, output = _audit(server, answer, tmp_path, "eligibility")
    assert code == 1, output
    assert "SIGNING_KEY_REVOKED" in output

    # The monitor audits a directory of archived decisions the same way.
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "tender-17.json").write_text(json.dumps(answer), encoding="utf-8")
    (archive / "single.json").write_text(json.dumps(_single(http, cert)), encoding="utf-8")
    result = CliRunner().invoke(
        verify_cli,
        ["monitor", server.url, "--state", str(tmp_path / "monitor.json"), "--decisions", str(archive)],
    )
    assert result.exit_code == 1, result.output
    assert "first run: the log has" in result.output  # the log itself is untouched
    assert "REFUTED    tender-17.json" in result.output
    assert "REFUTED    single.json" in result.output


def test_unreadable_input_and_an_altered_decision_have_their_own_exit_status(
    server: LiveServer, http: httpx.Client, body: Certifier, tmp_path: Path
) -> None:
    missing = CliRunner().invoke(verify_cli, ["audit-decision", str(tmp_path / "none.json"), "--registry", server.url])
    assert (missing.exit_code, "FAILED cannot read" in missing.output) == (2, True)
    answer = _eligibility(http, _submit(http, body.credential("IT/044/005")))
    answer["results"][0]["certificates"][0]["status"] = "suspended"
    code, output = _audit(server, answer, tmp_path, "altered")
    assert code == 1
    assert "RESULTS_ALTERED" in output
