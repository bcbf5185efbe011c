"""Bulk submission against a real registry (SQLite and PostgreSQL): batches, interruption, resume."""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from certifiers.bulk import BatchProgress, BulkOptions, bulk_submit
from certifiers.cli import app
from certifiers.client import CertifierClient
from certifiers.receipts import ReceiptRejected
from certifiers.records import load_records, sign_record
from certifiers.responses import BatchResult
from certifiers.signing import document_sha256
from tests.certifiers.conftest import PROGRAMME, LiveProgramme
from tests.certifiers.factories import json_record, licence_rows, row, write_csv
from verification.receipt import verify_receipt

pytestmark = pytest.mark.slow


class Interrupted(Exception):
    """Stands in for Ctrl-C or a crash between two batches."""


def _cli_bulk(live: LiveProgramme, csv_path: Path, state: Path, *extra: str) -> Result:
    arguments = ["bulk-submit", str(csv_path), "--key", str(live.key_path), "--kid", live.signer.kid]
    arguments += ["--programme", PROGRAMME, "--registry", live.url, "--state", str(state), *extra]
    return CliRunner().invoke(app, arguments, env={"COLUMNS": "250"})  # wide enough that no cell wraps


def _count(output: str, outcome: str) -> int:
    """A number from the summary table, e.g. the "duplicate (already registered)" row."""
    match = re.search(rf"│ {outcome}\b[^│]*│\s*(\d+)", output)
    assert match is not None, output
    return int(match.group(1))


def _all_certificates(live: LiveProgramme) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    with live.client() as client:
        while True:
            page = client.find_certificates(programme=PROGRAMME, cursor=cursor, limit=500)
            items += page.items
            if page.next_cursor is None:
                return items
            cursor = page.next_cursor


def test_an_interrupted_bulk_submission_resumes_and_registers_every_licence_once(
    live_programme: LiveProgramme, tmp_path: Path
) -> None:
    csv_path = write_csv(tmp_path / "licences.csv", licence_rows(300))
    records = load_records(csv_path, PROGRAMME)
    tokens = {record.key: sign_record(record, live_programme.signer) for record in records}
    state = tmp_path / "state.json"
    results: list[BatchResult] = []

    def interrupt_after_first_batch(progress: BatchProgress) -> None:
        results.append(progress.result)
        raise Interrupted

    # 1. The first batch of 100 is acknowledged, then the run dies.
    options = BulkOptions(batch_size=100, on_batch=interrupt_after_first_batch)
    with live_programme.client() as client, pytest.raises(Interrupted):
        bulk_submit(client, records, live_programme.signer, state, programme=PROGRAMME, options=options)
    assert len(json.loads(state.read_text())["acknowledged"]) == 100

    # 2. The CLI continues for one more batch only (--max-batches), skipping what is acknowledged.
    result = _cli_bulk(live_programme, csv_path, state, "--batch-size", "100", "--max-batches", "1")
    assert result.exit_code == 0, result.output
    assert "stopped after 1 batch(es)" in result.output
    assert len(json.loads(state.read_text())["acknowledged"]) == 200

    # 3. The rest, through the library, keeping each batch's results to check the receipts here too.
    with live_programme.client() as client:
        options = BulkOptions(batch_size=100, on_batch=lambda progress: results.append(progress.result))
        summary = bulk_submit(client, records, live_programme.signer, state, programme=PROGRAMME, options=options)
    assert (summary.skipped, summary.accepted, summary.duplicates, summary.rejected) == (200, 100, 0, [])
    assert summary.complete

    # Every licence was accepted exactly once, and the state names its certificate and leaf.
    acknowledged = json.loads(state.read_text())["acknowledged"]
    assert set(acknowledged) == set(tokens)
    assert {ack["outcome"] for ack in acknowledged.values()} == {"accepted"}
    assert {key: ack["certificate_id"] for key, ack in acknowledged.items()} == {
        key: document_sha256(token) for key, token in tokens.items()
    }
    assert len({ack["leaf_index"] for ack in acknowledged.values()}) == 300
    registered = _all_certificates(live_programme)
    assert sorted(item["licence_number"] for item in registered) == sorted(tokens)
    assert {item["id"] for item in registered} == {ack["certificate_id"] for ack in acknowledged.values()}
    multi = next(item for item in registered if item["licence_number"] == "CEL-00007")
    assert len(multi["products"]) == 3

    # Receipts verify offline, independently of the bulk code's own check.
    by_id = {document_sha256(token): token for token in tokens.values()}
    for batch in results:
        for item in batch.items:
            assert item.certificate_id is not None
            assert item.receipt is not None
            verify_receipt(item.receipt, by_id[item.certificate_id].encode("ascii"), live_programme.verifier)

    # 4. A rerun sends nothing; a rerun without the state file is harmless: all duplicates.
    rerun = _cli_bulk(live_programme, csv_path, state, "--batch-size", "100")
    assert rerun.exit_code == 0, rerun.output
    assert _count(rerun.output, "skipped") == 300
    fresh = _cli_bulk(live_programme, csv_path, tmp_path / "fresh-state.json", "--batch-size", "250")
    assert fresh.exit_code == 0, fresh.output
    assert _count(fresh.output, "duplicate") == 300
    fresh_state = json.loads((tmp_path / "fresh-state.json").read_text())["acknowledged"]
    assert {ack["outcome"] for ack in fresh_state.values()} == {"duplicate"}
    assert fresh_state == {key: {**ack, "outcome": "duplicate"} for key, ack in acknowledged.items()}
    assert len(_all_certificates(live_programme)) == 300


def test_rejected_rows_are_reported_with_their_reasons_and_exit_code_1(
    live_programme: LiveProgramme, tmp_path: Path
) -> None:
    rows = licence_rows(8)
    rows[2] = row("CEL-00003", 3, category_code="HJ 9999")  # a category the programme never defined
    rows.append(row("CEL-00008", 99, holder_name="Holder of CEL-00008"))  # a second product of licence 8
    csv_path = write_csv(tmp_path / "licences.csv", rows)
    state = tmp_path / "state.json"
    result = _cli_bulk(live_programme, csv_path, state)
    assert result.exit_code == 1, result.output
    assert "unknown-category [UNKNOWN_CATEGORY]" in result.output
    assert re.search(r"CEL-00003\s*│ 4 ", result.output), result.output  # the licence and its row
    acknowledged = json.loads(state.read_text())["acknowledged"]
    assert "CEL-00003" not in acknowledged
    assert len(acknowledged) == 7
    assert acknowledged["CEL-00008"]["rows"] == [11, 12]  # licence 7 has three rows


def test_invalid_rows_stop_the_run_before_anything_is_signed_or_sent(
    live_programme: LiveProgramme, tmp_path: Path
) -> None:
    rows = licence_rows(5)
    rows[3]["gtin"] = "6901234567890"  # wrong check digit
    state = tmp_path / "state.json"
    result = _cli_bulk(live_programme, write_csv(tmp_path / "licences.csv", rows), state)
    assert result.exit_code == 1
    assert "row 5, licence CEL-00004, gtin" in result.output
    assert "nothing was signed" in result.output
    assert not state.exists()
    assert _all_certificates(live_programme) == []


class _TamperingTransport(httpx.BaseTransport):
    """Passes requests to the real registry but corrupts the first receipt of every batch answer."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if not request.url.path.endswith("/batch"):
            return response
        body = json.loads(response.read())
        receipt = body["results"][0]["receipt"]
        leaf_hash = bytearray(base64.b64decode(receipt["leaf_hash"]))
        leaf_hash[0] ^= 1
        receipt["leaf_hash"] = base64.b64encode(leaf_hash).decode()
        return httpx.Response(response.status_code, json=body)

    def close(self) -> None:
        self._inner.close()


def test_a_receipt_that_does_not_verify_is_a_hard_error(live_programme: LiveProgramme, tmp_path: Path) -> None:
    records = load_records(write_csv(tmp_path / "licences.csv", licence_rows(3)), PROGRAMME)
    state = tmp_path / "state.json"
    with (
        CertifierClient(live_programme.url, transport=_TamperingTransport()) as client,
        pytest.raises(ReceiptRejected, match="does not verify"),
    ):
        bulk_submit(client, records, live_programme.signer, state, programme=PROGRAMME)
    assert json.loads(state.read_text())["acknowledged"] == {}


def test_a_killed_bulk_submission_resumes_without_losing_or_doubling_a_licence(
    live_programme: LiveProgramme, tmp_path: Path
) -> None:
    csv_path = write_csv(tmp_path / "licences.csv", licence_rows(300))
    state = tmp_path / "state.json"
    command = [sys.executable, "-c", "from certifiers.cli import main; main()", "bulk-submit", str(csv_path)]
    command += ["--key", str(live_programme.key_path), "--kid", live_programme.signer.kid, "--programme", PROGRAMME]
    command += ["--registry", live_programme.url, "--state", str(state), "--batch-size", "5"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if state.exists() and len(json.loads(state.read_text())["acknowledged"]) >= 10:
                break  # the file is replaced atomically, so it always parses
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)  # no clean-up of any kind: as if the machine lost power
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    before = len(json.loads(state.read_text())["acknowledged"])
    assert 10 <= before < 300

    resumed = _cli_bulk(live_programme, csv_path, state, "--batch-size", "100")
    assert resumed.exit_code == 0, resumed.output
    assert _count(resumed.output, "skipped") == before
    # A batch the registry logged just before the kill comes back as duplicates, never as a second copy.
    assert _count(resumed.output, "accepted") + _count(resumed.output, "duplicate") == 300 - before
    acknowledged = json.loads(state.read_text())["acknowledged"]
    assert len(acknowledged) == 300
    registered = _all_certificates(live_programme)
    assert len(registered) == 300
    assert {item["id"] for item in registered} == {ack["certificate_id"] for ack in acknowledged.values()}


def test_a_json_lines_file_is_submitted_the_same_way(live_programme: LiveProgramme, tmp_path: Path) -> None:
    path = tmp_path / "licences.jsonl"
    path.write_text("\n".join(json.dumps(json_record(f"CEL-JL-{n}")) for n in range(5)) + "\n", encoding="utf-8")
    result = _cli_bulk(live_programme, path, tmp_path / "state.json", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert _count(result.output, "accepted") == 5
    acknowledged = json.loads((tmp_path / "state.json").read_text())["acknowledged"]
    assert sorted(acknowledged) == [f"CEL-JL-{n}" for n in range(5)]
