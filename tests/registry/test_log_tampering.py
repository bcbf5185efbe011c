"""Editing or deleting a stored document behind the registry's back is caught by the monitor and by receipts.

The registry runs as a real server process; the tampering is plain SQL on its database, as an
operator or an intruder with database access could do it.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from tests.registry.factories import certificate_id, certifier, programme_registration
from tests.registry.live import LiveServer
from verification.cli import app as verify_cli
from verification.ed25519 import generate_private_key
from verification.errors import ProofInvalid
from verification.jwk import PublicKey
from verification.leaf import entry_leaf_hash
from verification.note import NoteVerifier
from verification.receipt import Receipt, verify_receipt

pytestmark = pytest.mark.slow

WRITES = 7


@pytest.fixture
def receipts(server: LiveServer, admin_headers: dict[str, str]) -> list[tuple[bytes, Receipt]]:
    written = []
    with httpx.Client(base_url=server.url, headers=admin_headers) as http:
        for _ in range(WRITES):
            body = programme_registration().body
            response = http.post("/v1/programmes", content=body, headers={"content-type": "application/json"})
            assert response.status_code == 201, response.text
            written.append((body, Receipt.from_dict(response.json()["receipt"])))
    return written


def _monitor(server: LiveServer, state: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(verify_cli, ["monitor", "--registry", server.url, "--state", str(state), *extra])
    return result.exit_code, result.output


def _document_from_registry(server: LiveServer, index: int) -> bytes | None:
    entries = httpx.get(f"{server.url}/v1/log/entries", params={"start": index, "limit": 1}).json()["entries"]
    if not entries or entries[0]["leaf_index"] != index:
        return None
    document: str = entries[0]["document"]
    return document.encode()


def _verifier(server: LiveServer) -> NoteVerifier:
    key = httpx.get(f"{server.url}/.well-known/ecolabel-registry").json()["checkpoint_verifier_key"]
    return NoteVerifier.from_string(key)


def test_monitor_accepts_an_untouched_log_and_then_only_growth(
    server: LiveServer, receipts: list[tuple[bytes, Receipt]], admin_headers: dict[str, str], tmp_path: Path
) -> None:
    state = tmp_path / "monitor.json"
    code, output = _monitor(server, state)
    assert code == 0, output
    assert f"first run: the log has {WRITES} leaves; checked {WRITES} entries from leaf 0" in output
    code, output = _monitor(server, state)
    assert code == 0, output
    assert f"the log has not grown since the last run ({WRITES} leaves); no new entries to check" in output
    assert "grew" not in output
    httpx.post(
        f"{server.url}/v1/programmes",
        content=programme_registration().body,
        headers={**admin_headers, "content-type": "application/json"},
    ).raise_for_status()
    code, output = _monitor(server, state)
    assert code == 0, output
    assert f"the log grew from {WRITES} to {WRITES + 1} leaves" in output
    assert f"checked 1 entry from leaf {WRITES}" in output


def test_an_edited_document_is_named_by_the_monitor_and_fails_its_receipt(
    server: LiveServer, receipts: list[tuple[bytes, Receipt]], engine: Engine, tmp_path: Path
) -> None:
    state = tmp_path / "monitor.json"
    assert _monitor(server, state)[0] == 0
    original, receipt = receipts[3]
    forged = original.replace(b'"gen_member": true', b'"gen_member": false')
    assert forged != original
    with engine.begin() as connection:
        connection.execute(text("UPDATE log_entries SET document = :d WHERE leaf_index = 3"), {"d": forged})

    code, output = _monitor(server, state, "--full")
    assert code == 1
    assert "first bad leaf index: 3" in output
    fresh_code, fresh_output = _monitor(server, tmp_path / "fresh.json")
    assert fresh_code == 1
    assert "first bad leaf index: 3" in fresh_output

    served = _document_from_registry(server, 3)
    assert served == forged
    with pytest.raises(ProofInvalid, match="LEAF_MISMATCH"):
        verify_receipt(receipt, served, _verifier(server))
    verify_receipt(receipt, original, _verifier(server))  # the holder's own copy still verifies


def test_an_edit_that_also_rewrites_the_leaf_hash_is_still_caught(
    server: LiveServer, receipts: list[tuple[bytes, Receipt]], engine: Engine, tmp_path: Path
) -> None:
    original, receipt = receipts[5]
    forged = original.replace(b'"countries": ["CN"]', b'"countries": ["JP"]')
    leaf = entry_leaf_hash(receipt.kind, receipt.integrated_us, forged)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE log_entries SET document = :d, document_sha256 = :s, leaf_hash = :h WHERE leaf_index = 5"),
            {"d": forged, "s": hashlib.sha256(forged).digest(), "h": leaf},
        )
    code, output = _monitor(server, tmp_path / "fresh.json")
    assert code == 1
    assert "first bad leaf index: 5" in output


def test_a_deleted_document_is_named_by_the_monitor_and_its_receipt_cannot_be_rechecked(
    server: LiveServer, receipts: list[tuple[bytes, Receipt]], engine: Engine, tmp_path: Path
) -> None:
    state = tmp_path / "monitor.json"
    assert _monitor(server, state)[0] == 0
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            # An intruder with superuser rights can switch foreign keys off for a session.
            connection.execute(text("SET session_replication_role = replica"))
            connection.execute(text("DELETE FROM log_entries WHERE leaf_index = 2"))
    else:
        # A plain sqlite3 connection does not enforce foreign keys unless asked to.
        with closing(sqlite3.connect(str(engine.url.database))) as raw, raw:
            raw.execute("DELETE FROM log_entries WHERE leaf_index = 2")

    code, output = _monitor(server, state, "--full")
    assert code == 1
    assert "first bad leaf index: 2" in output
    page = httpx.get(f"{server.url}/v1/log/entries", params={"start": 0})
    assert (page.status_code, page.json()["leaf_index"]) == (500, 2)  # an error naming it, never a skip

    # The tree still proves leaf 2, so the receipt holder knows exactly what the registry withholds.
    _, receipt = receipts[2]
    proof = httpx.get(f"{server.url}/v1/log/proofs/inclusion", params={"leaf_index": 2}).json()
    assert proof["leaf_hash"] == base64.b64encode(receipt.leaf_hash).decode()


def test_a_deleted_tree_node_is_a_log_integrity_problem_not_a_crash(
    server: LiveServer, receipts: list[tuple[bytes, Receipt]], engine: Engine
) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM log_nodes WHERE level = 0 AND idx = 6"))
    proof = httpx.get(f"{server.url}/v1/log/proofs/inclusion", params={"leaf_index": 5})
    assert proof.status_code == 500
    assert proof.json()["type"] == "urn:ecolabel-registry:problem:log-integrity"


def test_the_monitor_re_verifies_every_kind_of_document_with_keys_learned_from_the_log(
    server: LiveServer, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    with httpx.Client(base_url=server.url) as http:
        body = certifier(http, admin_headers, "cn-cel")
        token = body.credential("CEC-2024-0001")
        http.post("/v1/certificates", json={"credential": token}).raise_for_status()
        cert = certificate_id(token)
        http.post(
            f"/v1/certificates/{cert}/events", json={"event": body.status_event(cert, 1, cert)}
        ).raise_for_status()
        body.keys["rotated"] = generate_private_key()
        jwk = PublicKey.from_private_key(body.keys["rotated"], kid="rotated").to_jwk()
        path = f"/v1/programmes/{body.programme_id}/key-events"
        http.post(path, json={"event": body.key_event("add", key=jwk)}).raise_for_status()
        http.post(path, json={"event": body.key_event("retire", kid=body.kid)}).raise_for_status()
        body.kid = "rotated"
        http.post("/v1/certificates", json={"credential": body.credential("CEC-2024-0002")}).raise_for_status()
    state = tmp_path / "monitor.json"
    code, output = _monitor(server, state)
    assert code == 0, output
    assert "checked 7 entries" in output


def test_with_several_bad_leaves_the_monitor_names_the_first_in_log_order(
    server: LiveServer, receipts: list[tuple[bytes, Receipt]], engine: Engine, tmp_path: Path
) -> None:
    # Leaf 2 is rewritten with its hashes, so only the signed root betrays it; leaf 5 is edited plainly
    # and its entry no longer hashes to its leaf. Walking in order meets leaf 5's mismatch first.
    original, receipt = receipts[2]
    forged = original.replace(b'"gen_member": true', b'"gen_member": false')
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE log_entries SET document = :d, document_sha256 = :s, leaf_hash = :h WHERE leaf_index = 2"),
            {
                "d": forged,
                "s": hashlib.sha256(forged).digest(),
                "h": entry_leaf_hash(receipt.kind, receipt.integrated_us, forged),
            },
        )
        connection.execute(
            text("UPDATE log_entries SET document = :d WHERE leaf_index = 5"),
            {"d": receipts[5][0].replace(b'"gen_member": true', b'"gen_member": false')},
        )
    code, output = _monitor(server, tmp_path / "fresh.json")
    assert code == 1
    assert "first bad leaf index: 2" in output
