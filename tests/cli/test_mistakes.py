"""Ordinary mistakes with `ecolabel-verify` end in one FAILED line that says what to do, and an exit code
its help documents; never a traceback. No registry runs here: a closed port stands for an unreachable one."""

from __future__ import annotations

import json
import socket
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from verification.cli import app as verify_cli
from verification.cli.common import EXIT_INPUT, EXIT_UNREACHABLE
from verification.note import NoteSigner


def _closed_port_url() -> str:
    with socket.socket() as sock:  # bound, never listening: connections to it are refused
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _log_key() -> str:
    signer = NoteSigner.from_private_key("registry.example/log", Ed25519PrivateKey.generate())
    return signer.verifier().to_string()


def _run(*arguments: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(verify_cli, list(arguments), env={"COLUMNS": "80", **(env or {})})
    assert "Traceback" not in result.output, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _failed_line(output: str) -> str:
    failed = [line for line in output.splitlines() if line.startswith("FAILED ")]
    assert len(failed) == 1, output
    return failed[0]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("ref,gtin\nA-1,caf\xe9\n".encode("latin-1"), "is not UTF-8 text (byte"),
        (b"ref;programme;licence_number\nA-1;eu-ecolabel;IT/044/005\n", "separated by semicolons; save the file as"),
        (b"ref,gtin,model\nA-1,,VW-100\n", "row 2 names no certificate, licence or GTIN; fill in certificate_id"),
    ],
    ids=["latin-1", "semicolons", "no-identifier"],
)
def test_a_catalogue_mistake_is_one_line_with_a_remedy(tmp_path: Path, content: bytes, expected: str) -> None:
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_bytes(content)
    code, output = _run("eligibility", str(catalogue), "--accept", "eu-ecolabel", "--registry", _closed_port_url())
    assert code == EXIT_INPUT
    assert expected in _failed_line(output)
    assert not (tmp_path / "eligibility.csv").exists()


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    for command in (
        ["eligibility", str(missing), "--accept", "eu-ecolabel"],
        ["decision", str(missing), "--jwk", "{}"],
    ):
        code, output = _run(*command)
        assert code == EXIT_INPUT
        assert f"no such file: {missing}; check the path" in _failed_line(output)


def _beside_an_unreadable_state(tmp_path: Path, catalogue_text: bytes) -> list[str]:
    """The failure line of `eligibility` on `catalogue_text` with an unreadable state file beside its
    results, without and with --date; the state file and the results are left as they were."""
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_bytes(catalogue_text)
    state = tmp_path / "eligibility.csv.state.json"
    state.write_text("not json", encoding="utf-8")
    lines = []
    for dated in ([], ["--date", "2026-06-01T00:00:00Z"]):
        code, output = _run(
            "eligibility", str(catalogue), "--accept", "eu-ecolabel", "--registry", _closed_port_url(),
            "--out", str(tmp_path / "eligibility.csv"), *dated,
        )  # fmt: skip
        assert code == EXIT_INPUT
        assert state.read_text(encoding="utf-8") == "not json"
        assert not (tmp_path / "eligibility.csv").exists()
        lines.append(_failed_line(output))
    return lines


def test_an_unreadable_state_file_is_one_line_whichever_options_are_given(tmp_path: Path) -> None:
    for line in _beside_an_unreadable_state(tmp_path, b"ref,gtin\nA-1,96385074\n"):
        assert "is not the state of a catalogue run" in line


def test_a_catalogue_mistake_comes_before_an_unreadable_state_file(tmp_path: Path) -> None:
    for line in _beside_an_unreadable_state(tmp_path, b"ref,gtin,model\nA-1,,VW-100\n"):
        assert "row 2 names no certificate, licence or GTIN" in line


def test_eligibility_says_which_option_is_missing(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("ref,gtin\nA-1,96385074\n", encoding="utf-8")
    code, output = _run("eligibility", str(catalogue), "--registry", _closed_port_url())
    assert code == EXIT_INPUT
    assert "--accept PROGRAMME[:CATEGORY] (repeatable), --cpv CODE or --cn-procurement CODE" in _failed_line(output)


def test_an_unreachable_registry_is_exit_3_for_eligibility_and_monitor(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("ref,gtin\nA-1,96385074\n", encoding="utf-8")
    url = _closed_port_url()
    for command in (
        ["eligibility", str(catalogue), "--accept", "eu-ecolabel"],
        ["monitor", "--state", str(tmp_path / "monitor.json")],
        ["monitor", "--tiles", "--key", _log_key(), "--state", str(tmp_path / "monitor.json")],
    ):
        code, output = _run(*command, env={"ECOLABEL_REGISTRY_URL": url})  # named once, by the environment
        assert code == EXIT_UNREACHABLE, output
        line = _failed_line(output)
        assert url in line
        assert "--registry URL" in line or "cannot read the log's tiles" in line
    assert not (tmp_path / "monitor.json").exists()


def test_decision_given_a_zip_points_to_the_bundle_command(tmp_path: Path) -> None:
    archive = tmp_path / "evidence.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("manifest.json", "{}")
    code, output = _run("decision", str(archive), "--jwk", json.dumps({"kty": "OKP"}))
    assert code == EXIT_INPUT
    assert "is a zip archive" in _failed_line(output)
    assert "ecolabel-verify bundle" in _failed_line(output)


def test_a_receipt_that_is_not_json_is_input_not_a_traceback(tmp_path: Path) -> None:
    receipt, document = tmp_path / "receipt.json", tmp_path / "doc.jws"
    receipt.write_text("this is not JSON\n", encoding="utf-8")
    document.write_text("x", encoding="utf-8")
    code, output = _run("receipt", str(receipt), str(document), "--key", "log+00000000+AAAA")
    assert code == EXIT_INPUT
    _failed_line(output)
