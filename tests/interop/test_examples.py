"""The API's examples are real: recorded from a registry, replayable today, and checkable offline.

`ecolabel_registry/api/examples.json` holds, per operation, a request and the registry's answer, as
`example_story.py` recorded them. Whether each example is valid against its schema is checked with
the other contract rules (`tests/registry/test_client_contract.py`); here: the story still runs on
both backends with the same outcomes and the same signed requests, and every signature, checkpoint
and receipt in the examples verifies with the keys the examples themselves publish.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.api.examples import attach_examples, load_examples
from ecolabel_registry.app import create_app
from tests.interop.example_story import story_keys, story_settings, tell
from tests.registry import contract_rules
from verification.canonical import dumps_canonical
from verification.checkpoint import check_checkpoint
from verification.jwk import PublicKey, parse_public_jwk
from verification.jws import check_compact, read_protected_header
from verification.note import NoteVerifier
from verification.receipt import Receipt, check_receipt

_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_RECEIPT_MEMBERS = frozenset({"leaf_index", "kind", "integrated_at", "leaf_hash", "checkpoint", "inclusion_proof"})


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for member in value.values():
            yield from _strings(member)
    elif isinstance(value, list):
        for member in value:
            yield from _strings(member)


def _signed_documents(value: Any) -> list[str]:
    return [text for text in _strings(value) if _COMPACT_JWS.match(text) and len(text) > 100]


def _receipts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if value.keys() >= _RECEIPT_MEMBERS:
            yield value
        for member in value.values():
            yield from _receipts(member)
    elif isinstance(value, list):
        for member in value:
            yield from _receipts(member)


def test_the_story_behind_the_examples_still_runs_with_the_same_outcomes(database_url: str, tmp_path: Path) -> None:
    committed = load_examples()
    app = create_app(story_settings(database_url, tmp_path))
    with TestClient(app) as client:
        fresh = tell(client)
    document = copy.deepcopy(app.openapi())

    outcomes = {operation_id: example["status"] for operation_id, example in fresh.items()}
    assert outcomes == {operation_id: example["status"] for operation_id, example in committed.items()}
    # Signing is deterministic (Ed25519, RFC 8032 §5.1.6): the signed requests are byte for byte the same.
    for operation_id, example in fresh.items():
        assert _signed_documents(example.get("request")) == _signed_documents(committed[operation_id].get("request"))
    # Today's answers fit today's schemas, so recording again (`make examples`) gives a valid document.
    attach_examples(document, fresh)
    assert contract_rules.example_problems(document) == []


@pytest.fixture(scope="module")
def examples() -> dict[str, dict[str, Any]]:
    return load_examples()


def test_every_recorded_example_is_shown_beside_its_operation(
    examples: dict[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = tmp_path_factory.mktemp("document")
    document = create_app(story_settings(f"sqlite:///{directory / 'unused.sqlite3'}", directory)).openapi()
    by_id = {operation["operationId"]: operation for _, operation in contract_rules.operations(document)}
    for operation_id, example in examples.items():
        assert operation_id in by_id, f"an example for {operation_id}, which no operation is: run `make examples`"
        operation = by_id[operation_id]
        answer = operation["responses"][str(example["status"])]["content"]["application/json"]
        assert answer["examples"]["example"]["value"] == example["response"], operation_id
        if "request" in example:
            request = operation["requestBody"]["content"]["application/json"]
            assert request["examples"]["example"]["value"] == example["request"], operation_id


@pytest.fixture(scope="module")
def registry_keys(examples: dict[str, dict[str, Any]]) -> tuple[NoteVerifier, PublicKey]:
    """The registry's checkpoint key and decision key, as its identity example publishes them."""
    identity = examples["getRegistryIdentity"]["response"]
    (jwk,) = identity["jwks"]["keys"]
    return NoteVerifier.from_string(identity["checkpoint_verifier_key"]), parse_public_jwk(jwk)


def test_every_signed_document_in_the_examples_verifies_but_the_forged_one(
    examples: dict[str, dict[str, Any]], registry_keys: tuple[NoteVerifier, PublicKey]
) -> None:
    _, registry_key = registry_keys
    keys = story_keys()
    keys[registry_key.kid] = registry_key
    failed: list[tuple[str, str | None]] = []
    checked = 0
    for operation_id, example in examples.items():
        for token in _signed_documents([example.get("request"), example["response"]]):
            outcome = check_compact(token, keys[read_protected_header(token)["kid"]])
            checked += 1
            if not outcome.ok:
                failed.append((operation_id, outcome.code))
    assert checked >= 15
    # The batch example shows a rejected item: its credential carries a signature that was never made.
    assert failed == [("submitCertificates", "BAD_SIGNATURE")]
    decisions = [examples["checkEligibility"]["response"]["decision"]]
    decisions.append(examples["verifyCertificate"]["response"]["signed_decision"])
    assert all(read_protected_header(token)["kid"] == registry_key.kid for token in decisions)


def test_every_checkpoint_and_receipt_in_the_examples_verifies_offline(
    examples: dict[str, dict[str, Any]], registry_keys: tuple[NoteVerifier, PublicKey]
) -> None:
    verifier, _ = registry_keys
    receipts = 0
    for operation_id, example in examples.items():
        request = example.get("request")
        # What a receipt can commit to: the request body as sent (canonical JSON, as the story sends it),
        # or a signed document inside it (the registry logs a credential's JWS, not its envelope).
        logged = (
            [] if request is None else [dumps_canonical(request), *(t.encode() for t in _signed_documents(request))]
        )
        if operation_id == "recoverProgramme":  # the registry logs the recovery it signs, not the request
            logged.append(example["response"]["recovery"].encode())
        for receipt in _receipts(example["response"]):
            assert check_checkpoint(receipt["checkpoint"], verifier, origin=verifier.name).ok, operation_id
            parsed = Receipt.from_dict(receipt)
            assert any(check_receipt(parsed, document, verifier).ok for document in logged), operation_id
            receipts += 1
    assert receipts >= 20
