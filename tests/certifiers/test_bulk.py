"""Bulk submission logic against a scripted registry: batching, 413 splitting, state and rejections.

The live tests (test_bulk_live.py) cover receipts and resumption against the real registry.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from certifiers.bulk import BulkOptions, bulk_submit
from certifiers.client import CertifierClient, RetryPolicy, SubmissionRefused
from certifiers.keys import KeyFileError, SigningKey
from certifiers.records import LicenceRecord, read_csv
from certifiers.state import BulkState, StateMismatch
from tests.certifiers.factories import licence_rows, write_csv
from verification.ed25519 import generate_private_key
from verification.note import NoteSigner

REGISTRY_KEY = NoteSigner.from_private_key("registry.test/log", generate_private_key()).verifier().to_string()


class ScriptedRegistry:
    """Refuses bodies over `max_items` credentials with 413 and rejects every credential it is sent."""

    def __init__(self, signer: SigningKey, max_items: int = 1000) -> None:
        self.key = {**signer.public_jwk(), "status": "active"}
        self.max_items = max_items
        self.batches: list[int] = []
        self.body_sizes: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/ecolabel-registry":
            return httpx.Response(
                200, json={"log_origin": "registry.test/log", "checkpoint_verifier_key": REGISTRY_KEY, "jwks": {}}
            )
        if request.url.path == "/v1/programmes/cn-cel/keys":
            return httpx.Response(200, json={"programme_id": "cn-cel", "keys": [self.key]})
        credentials = json.loads(request.content)["credentials"]
        if len(credentials) > self.max_items:
            problem = {"type": "urn:ecolabel-registry:problem:payload-too-large", "status": 413, "detail": "too big"}
            return httpx.Response(413, json=problem)
        self.batches.append(len(credentials))
        self.body_sizes.append(len(request.content))
        problem = {
            "type": "urn:ecolabel-registry:problem:unknown-category",
            "title": "t",
            "status": 422,
            "detail": "no",
            "code": "UNKNOWN_CATEGORY",
        }
        results = [
            {"index": i, "outcome": "rejected", "certificate_id": None, "receipt": None, "problem": problem}
            for i in range(len(credentials))
        ]
        return httpx.Response(200, json={"results": results, "accepted": 0, "duplicates": 0, "rejected": len(results)})


def _records(tmp_path: Path, count: int) -> list[LicenceRecord]:
    return read_csv(write_csv(tmp_path / "licences.csv", licence_rows(count)), "cn-cel")


def _client(registry: ScriptedRegistry) -> CertifierClient:
    return CertifierClient(
        "http://registry.test", transport=httpx.MockTransport(registry), retry=RetryPolicy(sleep=lambda _: None)
    )


def test_records_go_out_in_batches_of_the_given_size(tmp_path: Path, signer: SigningKey) -> None:
    registry = ScriptedRegistry(signer)
    with _client(registry) as client:
        summary = bulk_submit(
            client,
            _records(tmp_path, 25),
            signer,
            tmp_path / "s.json",
            programme="cn-cel",
            options=BulkOptions(batch_size=10),
        )
    assert registry.batches == [10, 10, 5]
    assert (summary.batches, summary.accepted, len(summary.rejected)) == (3, 0, 25)
    assert summary.rejected[6].key == "CEL-00007"
    assert summary.rejected[6].rows == (8, 9, 10)
    assert summary.rejected[6].problem.code == "UNKNOWN_CATEGORY"
    assert BulkState.load(tmp_path / "s.json", "cn-cel").acknowledged == {}


def test_batches_are_also_cut_by_request_size(tmp_path: Path, signer: SigningKey) -> None:
    registry = ScriptedRegistry(signer)
    options = BulkOptions(batch_size=100, max_batch_bytes=5_000)  # a credential is about 1.5 kB
    with _client(registry) as client:
        bulk_submit(client, _records(tmp_path, 10), signer, tmp_path / "s.json", programme="cn-cel", options=options)
    assert len(registry.batches) > 1
    assert sum(registry.batches) == 10
    assert max(registry.body_sizes) <= 5_000 + len('{"credentials":[]}')


def test_a_413_splits_the_batch_in_halves(tmp_path: Path, signer: SigningKey) -> None:
    registry = ScriptedRegistry(signer, max_items=4)
    with _client(registry) as client:
        summary = bulk_submit(
            client,
            _records(tmp_path, 10),
            signer,
            tmp_path / "s.json",
            programme="cn-cel",
            options=BulkOptions(batch_size=10),
        )
    assert registry.batches == [2, 3, 2, 3]
    assert len(summary.rejected) == 10


def test_a_413_for_a_single_credential_is_raised(tmp_path: Path, signer: SigningKey) -> None:
    registry = ScriptedRegistry(signer, max_items=0)
    with _client(registry) as client, pytest.raises(SubmissionRefused, match="payload-too-large"):
        bulk_submit(client, _records(tmp_path, 2), signer, tmp_path / "s.json", programme="cn-cel")


def test_max_batches_stops_early_and_says_so(tmp_path: Path, signer: SigningKey) -> None:
    registry = ScriptedRegistry(signer)
    with _client(registry) as client:
        summary = bulk_submit(
            client,
            _records(tmp_path, 25),
            signer,
            tmp_path / "s.json",
            programme="cn-cel",
            options=BulkOptions(batch_size=10, max_batches=2),
        )
    assert registry.batches == [10, 10]
    assert not summary.complete


def test_records_of_another_programme_or_a_foreign_registry_key_are_refused(tmp_path: Path, signer: SigningKey) -> None:
    registry = ScriptedRegistry(signer)
    with _client(registry) as client:
        with pytest.raises(ValueError, match="another programme"):
            bulk_submit(client, _records(tmp_path, 1), signer, tmp_path / "s.json", programme="blue-angel")
        options = BulkOptions(pinned_registry_key="other+00000000+AQ==")
        with pytest.raises(StateMismatch, match="not the pinned"):
            bulk_submit(client, _records(tmp_path, 1), signer, tmp_path / "s.json", programme="cn-cel", options=options)
    assert registry.batches == []


def test_batch_size_must_fit_the_registry_limit() -> None:
    with pytest.raises(ValueError, match="between 1 and 1000"):
        BulkOptions(batch_size=1001)


def test_a_signer_the_registry_does_not_list_as_active_is_refused_before_signing(
    tmp_path: Path, signer: SigningKey
) -> None:
    registry = ScriptedRegistry(signer)
    stranger = SigningKey(signer.kid, generate_private_key())
    with _client(registry) as client, pytest.raises(KeyFileError, match="does not hold the key"):
        bulk_submit(client, _records(tmp_path, 1), stranger, tmp_path / "s.json", programme="cn-cel")
    registry.key["status"] = "retired"
    with _client(registry) as client, pytest.raises(KeyFileError, match="is retired at the registry"):
        bulk_submit(client, _records(tmp_path, 1), signer, tmp_path / "s.json", programme="cn-cel")
    unknown = SigningKey("cel-key-9", signer.private_key)
    with _client(registry) as client, pytest.raises(KeyFileError, match="lists no key 'cel-key-9'"):
        bulk_submit(client, _records(tmp_path, 1), unknown, tmp_path / "s.json", programme="cn-cel")
    assert registry.batches == []
