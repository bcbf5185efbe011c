"""The CLI without a registry: key generation, signing, and refusing bad input before any network use."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from certifiers import cli
from certifiers.cli import app
from certifiers.keys import load_signing_key
from tests.certifiers.factories import json_record, licence_rows, write_csv
from verification.jwk import parse_public_jwk
from verification.jws import verify_compact
from verification.payloads import EcoLabelCertificate

NOWHERE = "http://127.0.0.1:9"  # discard port: any attempt to connect would fail the test with exit code 3


def _run(*arguments: str) -> Result:
    return CliRunner().invoke(app, list(arguments), env={"COLUMNS": "250"})


def _key(tmp_path: Path) -> Path:
    path = tmp_path / "cel.pem"
    assert _run("keygen", "--out", str(path), "--kid", "cel-1").exit_code == 0
    return path


def test_keygen_prints_the_public_jwk_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "cel.pem"
    result = _run("keygen", "--out", str(path), "--kid", "cel-1")
    assert result.exit_code == 0, result.output
    jwk = json.loads(result.stdout)
    assert parse_public_jwk(jwk).raw == load_signing_key(path, "cel-1").public.raw
    again = _run("keygen", "--out", str(path), "--kid", "cel-1")
    assert again.exit_code == 1
    assert "refusing to overwrite" in again.output


def test_sign_prints_a_credential_that_verifies(tmp_path: Path) -> None:
    key = _key(tmp_path)
    record = tmp_path / "record.json"
    record.write_text(json.dumps(json_record()), encoding="utf-8")
    result = _run("sign", str(record), "--key", str(key), "--kid", "cel-1", "--programme", "cn-cel")
    assert result.exit_code == 0, result.output
    verified = verify_compact(result.stdout.strip(), load_signing_key(key, "cel-1").public, expected_typ="vc+jwt")
    assert EcoLabelCertificate.model_validate_json(verified.payload).credential_subject.licence_number == "CEL-J-0001"

    out = tmp_path / "credential.jws"
    assert _run("sign", str(record), "--key", str(key), "--kid", "cel-1", "--out", str(out)).exit_code == 0
    assert out.read_text().strip() == result.stdout.strip()  # deterministic: same record, same key, same JWS


def test_sign_refuses_a_bad_record_and_prints_no_credential(tmp_path: Path) -> None:
    key = _key(tmp_path)
    record = tmp_path / "record.json"
    bad = json_record()
    bad["products"][0]["gtin"] = "6901234567890"
    bad["holder"]["country"] = "XX"
    record.write_text(json.dumps(bad), encoding="utf-8")
    result = _run("sign", str(record), "--key", str(key), "--kid", "cel-1")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "products[0].gtin" in result.stderr
    assert "holder.country: 'XX' is not an ISO 3166-1 alpha-2 country code" in result.stderr
    assert result.stderr.startswith("FAILED 2 problem(s) in the input; nothing was signed")


def test_a_group_readable_key_is_refused_with_advice(tmp_path: Path) -> None:
    key = _key(tmp_path)
    key.chmod(0o640)
    record = tmp_path / "record.json"
    record.write_text(json.dumps(json_record()), encoding="utf-8")
    result = _run("sign", str(record), "--key", str(key), "--kid", "cel-1")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "chmod 600" in result.stderr


def test_bulk_submit_validates_the_whole_file_before_contacting_the_registry(tmp_path: Path) -> None:
    key = _key(tmp_path)
    rows = licence_rows(4)
    rows[1]["holder_country"] = "XX"
    rows[3]["valid_until"] = "2020-01-01"
    csv_path = write_csv(tmp_path / "licences.csv", rows)
    state = tmp_path / "state.json"
    result = _run(
        "bulk-submit", str(csv_path), "--key", str(key), "--kid", "cel-1", "--programme", "cn-cel",
        "--state", str(state), "--registry", NOWHERE,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "row 3, licence CEL-00002, holder_country" in result.output
    assert "row 5, licence CEL-00004, valid_until: validUntil must be later than validFrom" in result.output
    assert not state.exists()


def test_every_command_has_help() -> None:
    for command in ("keygen", "register-programme", "define-category", "sign", "submit", "bulk-submit", "event"):
        result = _run(command, "--help")
        assert result.exit_code == 0, (command, result.output)
    assert "ECOLABEL_REGISTRY_URL" in _run("rotate-key", "--help").output


def test_event_takes_effect_now_unless_told_otherwise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--effective-at` may be left out: the change takes effect at the second the command runs."""
    seen: dict[str, Any] = {}

    class Registry:
        def __init__(self, url: str) -> None:
            seen["url"] = url

        def __enter__(self) -> Registry:
            return self

        def __exit__(self, *_: object) -> None:
            return None

        def checkpoint_verifier(self) -> None:
            return None

    def change_status(*_: object, effective_at: datetime, **__: object) -> Any:
        seen["effective_at"] = effective_at
        return SimpleNamespace(receipt=SimpleNamespace(leaf_index=7), body={"status": "suspended"})

    monkeypatch.setattr(cli, "CertifierClient", Registry)
    monkeypatch.setattr(cli.operations, "change_status", change_status)
    before = datetime.now(UTC).replace(microsecond=0)
    ran = CliRunner().invoke(
        app,
        ["event", "ab" * 32, "--status", "suspended", "--reason", "audit", "--key", str(_key(tmp_path)),
         "--kid", "cel-1"],
        env={"COLUMNS": "250", "ECOLABEL_REGISTRY_URL": "http://registry.example"},
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output
    assert before <= seen["effective_at"] <= datetime.now(UTC)
    assert seen["url"] == "http://registry.example"
    assert "status now suspended" in ran.output
