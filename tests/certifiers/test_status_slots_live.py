"""The certifier toolkit gives credentials status-list slots before signing, and keeps them across a resume."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from certifiers.bulk import BatchProgress, BulkOptions, bulk_submit
from certifiers.cli import app
from certifiers.records import load_records
from tests.certifiers.conftest import PROGRAMME, LiveProgramme
from tests.certifiers.factories import json_record, licence_rows, write_csv

pytestmark = pytest.mark.slow


class Interrupted(Exception):
    """Stands in for a crash between two batches."""


def _payload(token: str) -> dict[str, Any]:
    segment = token.strip().split(".")[1]
    parsed: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return parsed


def _index(credential: dict[str, Any]) -> int:
    indexes = {int(entry["statusListIndex"]) for entry in credential["credentialStatus"]}
    assert len(indexes) == 1  # the same index in the revocation and the suspension list
    return indexes.pop()


def test_a_resumed_bulk_submission_signs_each_licence_with_the_slot_it_was_given(
    live_programme: LiveProgramme, tmp_path: Path
) -> None:
    csv_path = write_csv(tmp_path / "licences.csv", licence_rows(10))
    records = load_records(csv_path, PROGRAMME)
    state = tmp_path / "state.json"

    def interrupt(_: BatchProgress) -> None:
        raise Interrupted

    options = BulkOptions(batch_size=4, on_batch=interrupt, status_slots=True)
    with live_programme.client() as client, pytest.raises(Interrupted):
        bulk_submit(client, records, live_programme.signer, state, programme=PROGRAMME, options=options)
    given = json.loads(state.read_text())["status_slots"]
    assert len(given) == 10

    arguments = [
        "bulk-submit",
        str(csv_path),
        "--key",
        str(live_programme.key_path),
        "--kid",
        live_programme.signer.kid,
    ]
    arguments += ["--programme", PROGRAMME, "--registry", live_programme.url, "--state", str(state), "--status"]
    result = CliRunner().invoke(app, arguments, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    acknowledged = json.loads(state.read_text())["acknowledged"]
    indexes = {}
    for licence, ack in acknowledged.items():
        served = httpx.get(
            f"{live_programme.url}/v1/certificates/{ack['certificate_id']}", headers={"accept": "application/vc+jwt"}
        )
        credential = _payload(served.text)
        assert credential["credentialStatus"] == given[licence]
        indexes[licence] = _index(credential)
    assert len(set(indexes.values())) == 10


def test_sign_asks_the_registry_for_a_free_slot(live_programme: LiveProgramme, tmp_path: Path) -> None:
    record = tmp_path / "licence.json"
    record.write_text(json.dumps(json_record("CEL-ONE-1")), encoding="utf-8")
    arguments = ["sign", str(record), "--key", str(live_programme.key_path), "--kid", live_programme.signer.kid]
    arguments += ["--programme", PROGRAMME, "--status", "--registry", live_programme.url]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    credential = _payload(result.stdout)
    assert _index(credential) == 0  # the lowest free slot of a programme with no credentials yet
    assert credential["credentialStatus"][0]["statusListCredential"].endswith(
        f"/v1/programmes/{PROGRAMME}/status-lists/revocation/0"
    )
    submitted = httpx.post(f"{live_programme.url}/v1/certificates", json={"credential": result.stdout.strip()})
    assert submitted.status_code == 201, submitted.text
