"""The CLI end to end against a real registry (SQLite and PostgreSQL): register, define, sign, submit,
suspend, and rotate keys with root keys (and a second root's approval)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from certifiers import operations
from certifiers.cli import app
from certifiers.client import CertifierClient, SubmissionRefused
from certifiers.keys import keygen, load_signing_key
from certifiers.records import certificate_from_record, sign_certificate
from certifiers.signing import document_sha256
from tests.certifiers.conftest import ADMIN_TOKEN, PROGRAMME, LiveProgramme
from tests.certifiers.factories import json_record
from verification.receipt import Receipt, verify_receipt

pytestmark = pytest.mark.slow


def _run(*arguments: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(arguments), env={"COLUMNS": "250", **(env or {})})


def test_an_operator_registers_a_programme_and_it_defines_a_category(registry_url: str, tmp_path: Path) -> None:
    key = tmp_path / "blue-angel.pem"
    created = _run("keygen", "--out", str(key), "--kid", "ba-2026")
    assert created.exit_code == 0, created.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    jwk = json.loads(created.stdout)
    (tmp_path / "ba.jwk").write_text(json.dumps(jwk), encoding="utf-8")
    root = _run("keygen", "--out", str(tmp_path / "blue-angel-root.pem"), "--kid", "ba-root", "--root")
    assert root.exit_code == 0, root.output
    assert "keep it offline" in root.output
    (tmp_path / "ba-root.jwk").write_text(root.stdout, encoding="utf-8")

    denied = _run(
        "register-programme",
        "--id",
        "blue-angel",
        "--name-en",
        "Blue Angel",
        "--country",
        "DE",
        "--root-jwk",
        str(tmp_path / "ba-root.jwk"),
        "--jwk",
        str(tmp_path / "ba.jwk"),
        "--registry",
        registry_url,
        env={"ECOLABEL_ADMIN_TOKEN": "wrong"},
    )
    assert denied.exit_code == 1
    assert "401 unauthorized" in denied.output

    registered = _run(
        "register-programme", "--id", "blue-angel", "--name-en", "Blue Angel", "--name", "de=Blauer Engel",
        "--country", "DE", "--root-jwk", str(tmp_path / "ba-root.jwk"), "--jwk", str(tmp_path / "ba.jwk"),
        "--gen-member", "--website", "https://www.blauer-engel.de/",
        "--registry", registry_url, env={"ECOLABEL_ADMIN_TOKEN": ADMIN_TOKEN},
    )  # fmt: skip
    assert registered.exit_code == 0, registered.output
    with CertifierClient(registry_url) as client:
        programme = client.get_programme("blue-angel")
        keys = client.programme_keys("blue-angel")["keys"]
    assert programme["names"] == {"en": "Blue Angel", "de": "Blauer Engel"}
    assert sorted((k["kid"], k["role"]) for k in keys) == [("ba-2026", "signing"), ("ba-root", "root")]
    assert next(k["x"] for k in keys if k["kid"] == "ba-2026") == jwk["x"]

    defined = _run(
        "define-category", "--programme", "blue-angel", "--key", str(key), "--kid", "ba-2026",
        "--code", "DE-UZ 14a", "--name-en", "Recycled paper", "--criteria-id", "DE-UZ 14a",
        "--criteria-version", "2020", "--criteria-valid-from", "2020-01-01", "--cpv", "30197630-1",
        "--registry", registry_url,
    )  # fmt: skip
    assert defined.exit_code == 0, defined.output
    assert "defined DE-UZ 14a 2020" in defined.output


def test_sign_submit_and_suspend_a_certificate_from_the_command_line(
    live_programme: LiveProgramme, tmp_path: Path
) -> None:
    record = tmp_path / "record.json"
    record.write_text(json.dumps(json_record("CEL-LIFE-1")), encoding="utf-8")
    key = ["--key", str(live_programme.key_path), "--kid", live_programme.signer.kid]
    signed = _run("sign", str(record), *key, "--programme", PROGRAMME)
    assert signed.exit_code == 0, signed.output
    token = signed.stdout.strip()
    credential = tmp_path / "credential.jws"
    credential.write_text(token + "\n", encoding="ascii")

    receipt_file = tmp_path / "receipt.json"
    submitted = _run("submit", str(credential), "--receipt-out", str(receipt_file), "--registry", live_programme.url)
    assert submitted.exit_code == 0, submitted.output
    certificate_id = submitted.stdout.strip()
    assert certificate_id == document_sha256(token)
    receipt = Receipt.from_dict(json.loads(receipt_file.read_text()))
    verify_receipt(receipt, token.encode("ascii"), live_programme.verifier)
    again = _run("submit", str(credential), "--registry", live_programme.url)
    assert again.exit_code == 0
    assert "already registered" in again.output

    suspended = _run(
        "event", certificate_id, "--status", "suspended", "--reason", "failed the annual audit",
        "--effective-at", "2026-06-01T00:00:00Z", *key, "--registry", live_programme.url,
    )  # fmt: skip
    assert suspended.exit_code == 0, suspended.output
    assert "status now suspended" in suspended.output
    reinstated = _run(
        "event", certificate_id, "--status", "reinstated", "--reason", "corrective actions verified",
        "--effective-at", "2026-07-01", *key, "--registry", live_programme.url,
    )  # fmt: skip
    assert reinstated.exit_code == 0, reinstated.output

    with live_programme.client() as client:
        view = client.get_certificate(certificate_id)
    assert [(entry.sequence, entry.body["status"]) for entry in view.history] == [(1, "suspended"), (2, "reinstated")]
    assert view.body["status"] == "active"

    replayed = _run(
        "event", certificate_id, "--status", "reinstated", "--reason", "x", "--effective-at", "2026-05-01",
        *key, "--registry", live_programme.url,
    )  # fmt: skip
    assert replayed.exit_code == 1
    assert "history-conflict" in replayed.output


def test_after_a_key_rotation_the_old_key_can_no_longer_issue(live_programme: LiveProgramme, tmp_path: Path) -> None:
    new_key = tmp_path / "cel-key-2.pem"
    assert _run("keygen", "--out", str(new_key), "--kid", "cel-key-2").exit_code == 0
    rotated = _run(
        "rotate-key", "--programme", PROGRAMME, "--root-key", str(live_programme.root_path), "--root-kid", "cel-root-1",
        "--old-kid", "cel-key-1", "--new-key", str(new_key), "--new-kid", "cel-key-2", "--registry", live_programme.url,
    )  # fmt: skip
    assert rotated.exit_code == 0, rotated.output
    with live_programme.client() as client:
        keys = {k["kid"]: k["status"] for k in client.programme_keys(PROGRAMME)["keys"]}
        assert keys == {"cel-root-1": "active", "cel-key-1": "retired", "cel-key-2": "active"}

        old_signed = sign_certificate(certificate_from_record(json_record("CEL-ROT-1")), live_programme.signer)
        with pytest.raises(SubmissionRefused) as exc:
            client.submit(old_signed)
        assert (exc.value.status, exc.value.slug, exc.value.code) == (
            403,
            "signing-key-not-valid",
            "SIGNING_KEY_RETIRED",
        )

        new_signer = load_signing_key(new_key, "cel-key-2")
        accepted = client.submit(sign_certificate(certificate_from_record(json_record("CEL-ROT-1")), new_signer))
        assert accepted.created

    # A second rotation takes the next key-event sequence (3) from the registry's key set.
    newest = tmp_path / "cel-key-3.pem"
    assert _run("keygen", "--out", str(newest), "--kid", "cel-key-3").exit_code == 0
    again = _run(
        "rotate-key", "--programme", PROGRAMME, "--root-key", str(live_programme.root_path), "--root-kid", "cel-root-1",
        "--old-kid", "cel-key-2", "--new-key", str(newest), "--new-kid", "cel-key-3", "--registry", live_programme.url,
    )  # fmt: skip
    assert again.exit_code == 0, again.output


def test_a_signing_key_cannot_rotate_keys(live_programme: LiveProgramme, tmp_path: Path) -> None:
    new_key = tmp_path / "cel-key-2.pem"
    assert _run("keygen", "--out", str(new_key), "--kid", "cel-key-2").exit_code == 0
    refused = _run(
        "rotate-key", "--programme", PROGRAMME, "--root-key", str(live_programme.key_path), "--root-kid", "cel-key-1",
        "--old-kid", "cel-key-1", "--new-key", str(new_key), "--new-kid", "cel-key-2", "--registry", live_programme.url,
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "signer-not-permitted" in refused.output
    assert "ROOT_KEY_REQUIRED" in refused.output


def test_two_of_two_roots_rotate_a_key_with_an_approval(registry_url: str, tmp_path: Path) -> None:
    paths = {kid: tmp_path / f"{kid}.pem" for kid in ("ba-root-1", "ba-root-2", "ba-key-1", "ba-key-2")}
    jwks = {kid: keygen(path, kid) for kid, path in paths.items()}
    with CertifierClient(registry_url, admin_token=ADMIN_TOKEN) as client:
        body = operations.registration_body(
            programme_id="blue-angel",
            names={"en": "Blue Angel"},
            countries=["DE"],
            root_keys=[jwks["ba-root-1"], jwks["ba-root-2"]],
            root_threshold=2,
            keys=[jwks["ba-key-1"]],
            gen_member=True,
        )
        operations.register_programme(client, body, client.checkpoint_verifier())
    rotate = (
        "rotate-key", "--programme", "blue-angel", "--root-key", str(paths["ba-root-1"]), "--root-kid", "ba-root-1",
        "--old-kid", "ba-key-1", "--new-key", str(paths["ba-key-2"]), "--new-kid", "ba-key-2",
        "--registry", registry_url,
    )  # fmt: skip
    proposed = _run(*rotate)
    assert proposed.exit_code == 0, proposed.output
    assert "waits for 1 more root" in proposed.output
    with CertifierClient(registry_url) as client:
        (pending,) = client.pending_key_events("blue-angel")["items"]
    approved = _run(
        "approve-key-event", pending["event_sha256"], "--programme", "blue-angel",
        "--root-key", str(paths["ba-root-2"]), "--root-kid", "ba-root-2", "--registry", registry_url,
    )  # fmt: skip
    assert approved.exit_code == 0, approved.output
    assert "is applied" in approved.output
    with CertifierClient(registry_url) as client:
        keys = {k["kid"]: (k["role"], k["status"]) for k in client.programme_keys("blue-angel")["keys"]}
    assert keys["ba-key-2"] == ("signing", "active")
