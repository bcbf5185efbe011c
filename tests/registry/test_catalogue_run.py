"""A catalogue of thousands of lines through a real server in chunks: resume, refusal, and the manifest check."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ecolabel_registry.settings import Settings
from tests.registry.factories import certificate_id, certifier
from tests.registry.live import LiveServer, live_servers
from verification.cli import app as verify_cli
from verification.cli.common import EXIT_FAILED, EXIT_INPUT
from verification.client.catalogue_run import DEFAULT_CHUNK

pytestmark = pytest.mark.slow

LINES = 3_000
CHUNK = 500  # six chunks
DATE = "2025-06-01T00:00:00Z"


@dataclass(frozen=True)
class World:
    url: str
    jwk: str
    catalogue: Path


@pytest.fixture
def world(settings: Settings, admin_headers: dict[str, str], tmp_path: Path) -> Iterator[World]:
    """A server with a few licences, and a catalogue of `LINES` lines naming them three ways (and some
    lines naming nothing the registry holds)."""
    with live_servers(settings, 1, tmp_path) as (server,):
        yield _world(server, admin_headers, tmp_path)


def _world(server: LiveServer, admin_headers: dict[str, str], tmp_path: Path) -> World:
    with httpx.Client(base_url=server.url) as http:
        body = certifier(http, admin_headers, "eu-ecolabel")
        tokens = [body.credential(f"IT/044/{n:03d}") for n in range(5)]
        http.post("/v1/certificates/batch", json={"credentials": tokens}).raise_for_status()
        jwk = json.dumps(http.get("/.well-known/ecolabel-registry").json()["jwks"]["keys"][0])
    rows = ["ref,certificate_id,programme,licence_number,gtin,model"]
    for line in range(LINES):
        n = line % 7  # 5 and 6 name licences the registry does not hold
        way = line % 3
        if way == 0 and n < 5:
            rows.append(f"L-{line},{certificate_id(tokens[n])},,,,")
        elif way == 2:
            rows.append(f"L-{line},,,,4006381333931,VW-100X")
        else:
            rows.append(f"L-{line},,eu-ecolabel,IT/044/{n:03d},,")
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return World(server.url, jwk, catalogue)


def _check(world: World, out: Path, decisions: Path, *extra: str, catalogue: Path | None = None) -> tuple[int, str]:
    arguments = [
        "eligibility", str(catalogue or world.catalogue), "--registry", world.url, "--accept", "eu-ecolabel:044",
        "--date", DATE, "--out", str(out), "--decisions", str(decisions), "--chunk-size", str(CHUNK), *extra,
    ]  # fmt: skip
    ran = CliRunner().invoke(verify_cli, arguments, env={"COLUMNS": "200"})
    assert "Traceback" not in ran.output, ran.output
    return ran.exit_code, ran.output


def _decision(world: World, path: Path, *extra: str) -> tuple[int, str]:
    ran = CliRunner().invoke(verify_cli, ["decision", str(path), "--jwk", world.jwk, *extra], env={"COLUMNS": "300"})
    assert "Traceback" not in ran.output, ran.output
    return ran.exit_code, ran.output


def _results_of(decisions: Path) -> list[object]:
    """Every chunk's signed results, in order (the decisions themselves differ in their time of issue)."""
    manifest = json.loads((decisions / "manifest.json").read_text(encoding="utf-8"))
    return [
        json.loads((decisions / chunk["file"]).read_text(encoding="utf-8"))["results"] for chunk in manifest["chunks"]
    ]


def test_an_interrupted_run_resumed_gives_what_one_uninterrupted_run_gives(world: World, tmp_path: Path) -> None:
    whole_out, whole_decisions = tmp_path / "whole.csv", tmp_path / "whole"
    code, output = _check(world, whole_out, whole_decisions)
    assert code == 0, output
    assert f"of {LINES:,} items eligible" in output

    out, decisions = tmp_path / "resumed.csv", tmp_path / "resumed"
    code, output = _check(world, out, decisions, "--max-chunks", "2")
    assert code == 0, output
    assert "stopped after 2 chunks (1,000 of 3,000 lines)" in output
    state = tmp_path / "resumed.csv.state.json"
    assert state.exists()
    assert not (decisions / "manifest.json").exists()
    # As if killed in the middle of the third chunk: half its rows written, its decision not yet recorded.
    with out.open("a", encoding="utf-8") as handle:
        handle.write("L-1000,yes,,half-a-row")
    (decisions / "chunk-000002.json").write_text('{"decision": "cut short', encoding="utf-8")

    code, output = _check(world, out, decisions, "--max-chunks", "1")  # a second interruption, cleanly
    assert code == 0, output
    code, output = _check(world, out, decisions)
    assert code == 0, output
    assert "continuing after 1,500 lines checked before" in output

    assert out.read_bytes() == whole_out.read_bytes()
    assert _results_of(decisions) == _results_of(whole_decisions)
    assert not state.exists()
    code, output = _decision(world, decisions, "--catalogue", str(world.catalogue))
    assert code == 0, output
    assert f"6 decisions signed by registry.test/log cover {LINES:,} items" in output
    assert "line by line against" in output


def test_a_run_is_not_resumed_against_another_catalogue_or_question_nor_overwrites_evidence(
    world: World, tmp_path: Path
) -> None:
    out, decisions = tmp_path / "results.csv", tmp_path / "decisions"
    code, output = _check(world, out, decisions, "--max-chunks", "1")
    assert code == 0, output
    changed = tmp_path / "changed.csv"
    changed.write_text(world.catalogue.read_text(encoding="utf-8").replace("L-2999,", "L-2999-new,"), encoding="utf-8")

    code, output = _check(world, out, decisions, catalogue=changed)
    assert code == EXIT_INPUT
    assert "FAILED" in output
    assert "the catalogue changed since the run was interrupted" in output

    arguments = [
        "eligibility", str(world.catalogue), "--registry", world.url, "--accept", "eu-ecolabel", "--date", DATE,
        "--out", str(out), "--decisions", str(decisions), "--chunk-size", str(CHUNK),
    ]  # fmt: skip
    refused = CliRunner().invoke(verify_cli, arguments, env={"COLUMNS": "200"})
    assert refused.exit_code == EXIT_INPUT
    assert "the requirement differs" in refused.output

    code, output = _check(world, out, decisions, "--chunk-size", "400")
    assert code == EXIT_INPUT
    assert "the chunk size differs (was 500, now 400)" in output
    code, output = _check(world, out, tmp_path / "elsewhere")
    assert code == EXIT_INPUT
    assert "lacks chunk-000000.json of the interrupted run" in output
    # What was refused left the interrupted run as it was: it still completes.
    code, output = _check(world, out, decisions)
    assert code == 0, output
    assert "continuing after 500 lines" in output
    # A finished run's evidence is not overwritten by the next one.
    code, output = _check(world, tmp_path / "again.csv", decisions)
    assert code == EXIT_INPUT
    assert "already holds the decisions of another run" in output


def test_the_manifest_check_finds_a_missing_an_altered_or_an_unlisted_chunk(world: World, tmp_path: Path) -> None:
    out, decisions = tmp_path / "results.csv", tmp_path / "decisions"
    code, output = _check(world, out, decisions)
    assert code == 0, output
    manifest_path = decisions / "manifest.json"
    original = manifest_path.read_bytes()
    code, output = _decision(world, manifest_path)  # the manifest itself names the directory too
    assert code == 0, output
    assert "by count (give --catalogue" in output

    third = decisions / "chunk-000002.json"
    kept = third.read_bytes()
    third.unlink()
    code, output = _decision(world, decisions)
    assert code == EXIT_FAILED
    assert "FAILED chunk-000002.json is missing: lines 1,000 to 1,499" in output

    saved = json.loads(kept)
    saved["results"][7]["eligible"] = not saved["results"][7]["eligible"]
    altered = json.dumps(saved).encode()
    third.write_bytes(altered)
    code, output = _decision(world, decisions)
    assert code == EXIT_FAILED
    assert "chunk-000002.json is not the file the manifest lists (its SHA-256 differs)" in output

    manifest = json.loads(original)  # a manifest made to match the altered file: the signature still tells
    manifest["chunks"][2]["sha256"] = hashlib.sha256(altered).hexdigest()
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    code, output = _decision(world, decisions)
    assert code == EXIT_FAILED
    assert "RESULTS_ALTERED" in output

    third.write_bytes(kept)
    manifest = json.loads(original)  # the last chunk dropped from the manifest, its file set aside
    last = manifest["chunks"].pop()
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    code, output = _decision(world, decisions)
    assert code == EXIT_FAILED
    assert f"{last['file']} is in the directory but not in the manifest" in output
    (decisions / last["file"]).rename(tmp_path / last["file"])
    code, output = _decision(world, decisions)
    assert code == EXIT_FAILED
    assert "the chunks cover 2,500 lines, the catalogue has 3,000: not the whole catalogue" in output

    (tmp_path / last["file"]).rename(decisions / last["file"])
    manifest_path.write_bytes(original)
    other = tmp_path / "other.csv"
    other.write_text(world.catalogue.read_text(encoding="utf-8").replace("L-1234,", "L-9999,"), encoding="utf-8")
    code, output = _decision(world, decisions, "--catalogue", str(other))
    assert code == EXIT_FAILED
    assert "is not the catalogue the manifest names" in output
    assert "chunk-000002.json: line 1,234 of the catalogue is 'L-9999', the result is for 'L-1234'" in output

    manifest_path.write_text("{}", encoding="utf-8")
    code, output = _decision(world, decisions)
    assert code == EXIT_INPUT
    assert "not a catalogue manifest" in output


def test_without_a_chunk_size_a_run_takes_the_interrupted_runs_or_the_default(world: World, tmp_path: Path) -> None:
    def without_chunk_size(out: Path, decisions: Path, *extra: str) -> tuple[int, str]:
        arguments = [
            "eligibility", str(world.catalogue), "--registry", world.url, "--accept", "eu-ecolabel:044",
            "--date", DATE, "--out", str(out), "--decisions", str(decisions), *extra,
        ]  # fmt: skip
        ran = CliRunner().invoke(verify_cli, arguments, env={"COLUMNS": "200"})
        assert "Traceback" not in ran.output, ran.output
        return ran.exit_code, ran.output

    out, decisions = tmp_path / "resumed.csv", tmp_path / "resumed"
    code, output = _check(world, out, decisions, "--max-chunks", "1")
    assert code == 0, output
    code, output = without_chunk_size(out, decisions)  # a run started before the default changed continues
    assert code == 0, output
    assert "continuing after 500 lines" in output
    assert json.loads((decisions / "manifest.json").read_text(encoding="utf-8"))["chunkSize"] == CHUNK

    code, output = without_chunk_size(tmp_path / "fresh.csv", tmp_path / "fresh")
    assert code == 0, output
    manifest = json.loads((tmp_path / "fresh" / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["chunkSize"], len(manifest["chunks"])) == (DEFAULT_CHUNK, 1)  # 3,000 lines: one request


def test_a_line_the_scan_refuses_stops_the_run_before_anything_is_written(world: World, tmp_path: Path) -> None:
    """The first chunks are sent while the catalogue is scanned; a line refused near its end still refuses
    the whole catalogue, with the scan's message, and leaves no results, state or decision behind."""
    broken = tmp_path / "broken.csv"
    broken.write_text(world.catalogue.read_text(encoding="utf-8") + "L-last,,,,123,\n", encoding="utf-8")
    out, decisions = tmp_path / "results.csv", tmp_path / "decisions"
    code, output = _check(world, out, decisions, catalogue=broken)
    assert code == EXIT_INPUT, output
    assert f"row {LINES + 2} has a gtin that is not 8 to 14 digits" in output
    assert not out.exists()
    assert not (tmp_path / "results.csv.state.json").exists()
    assert not decisions.exists()

    empty = tmp_path / "empty.csv"
    empty.write_text("ref,certificate_id\n", encoding="utf-8")
    code, output = _check(world, out, decisions, catalogue=empty)
    assert code == EXIT_INPUT, output
    assert "has a header but no line to check" in output
    assert not out.exists()
