"""`ecolabel-verify eligibility` runs a catalogue through a real server; `decision` checks the evidence."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import httpx
from typer.testing import CliRunner

from tests.registry.factories import certificate_id, certifier
from tests.registry.live import LiveServer
from verification.cli import app as verify_cli


def test_a_catalogue_check_writes_results_and_evidence_that_verifies_offline(
    server: LiveServer, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    with httpx.Client(base_url=server.url) as http:
        body = certifier(http, admin_headers, "eu-ecolabel")
        token = body.credential("IT/044/005")
        http.post("/v1/certificates", json={"credential": token}).raise_for_status()
        jwk = http.get("/.well-known/ecolabel-registry").json()["jwks"]["keys"][0]
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "ref,certificate_id,programme,licence_number,gtin,model\n"
        f"A-1,{certificate_id(token)},,,,\n"
        "A-2,,eu-ecolabel,IT/044/005,,\n"
        "A-3,,,,4006381333931,VW-100X\n"
        "A-4,,,,96385074,\n"
        '"=HYPERLINK(""http://evil.example"",""x"")",,,,96385074,\n',
        encoding="utf-8",
    )
    results, decisions = tmp_path / "results.csv", tmp_path / "decisions"
    runner = CliRunner()
    ran = runner.invoke(
        verify_cli,
        ["eligibility", str(catalogue), "--registry", server.url, "--accept", "eu-ecolabel:044", "--date",
         "2025-06-01T00:00:00Z", "--out", str(results), "--decisions", str(decisions)],
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output
    with results.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["ref"], r["eligible"], r["reasons"]) for r in rows] == [
        ("A-1", "yes", ""),
        ("A-2", "yes", ""),
        ("A-3", "yes", ""),
        ("A-4", "no", "NO_CERTIFICATE_FOR_GTIN"),
        ('\'=HYPERLINK("http://evil.example","x")', "no", "NO_CERTIFICATE_FOR_GTIN"),  # never a formula
    ]

    checked = runner.invoke(verify_cli, ["decision", str(decisions), "--jwk", json.dumps(jwk)])
    assert checked.exit_code == 0, checked.output
    assert "cover 5 items (3 eligible)" in checked.output

    chunk = decisions / "chunk-000000.json"
    saved = json.loads(chunk.read_text(encoding="utf-8"))
    saved["results"][3]["eligible"] = True
    chunk.write_text(json.dumps(saved), encoding="utf-8")
    tampered = runner.invoke(verify_cli, ["decision", str(chunk), "--jwk", json.dumps(jwk)])
    assert tampered.exit_code == 1
    assert "RESULTS_ALTERED" in tampered.output


def test_a_catalogue_without_an_item_column_is_refused(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("ref,colour\nA-1,green\n", encoding="utf-8")
    ran = CliRunner().invoke(verify_cli, ["eligibility", str(catalogue), "--accept", "eu-ecolabel"])
    assert ran.exit_code != 0
