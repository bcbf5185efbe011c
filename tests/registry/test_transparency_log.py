"""Every write is a leaf with a receipt; the registry's proofs verify with the vector-tested verifier."""

from __future__ import annotations

import base64
import itertools

import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import programme_registration
from verification.checkpoint import verify_checkpoint
from verification.errors import ProofInvalid
from verification.merkle import root_from_leaf_hashes, verify_consistency, verify_inclusion
from verification.note import NoteVerifier
from verification.receipt import Receipt, verify_receipt

JSON = {"content-type": "application/json"}


def _register(client: TestClient, admin_headers: dict[str, str], count: int) -> list[tuple[bytes, Receipt]]:
    written = []
    for _ in range(count):
        body = programme_registration().body
        response = client.post("/v1/programmes", content=body, headers={**admin_headers, **JSON})
        assert response.status_code == 201, response.text
        written.append((body, Receipt.from_dict(response.json()["receipt"])))
    return written


def _verifier(client: TestClient) -> NoteVerifier:
    return NoteVerifier.from_string(client.get("/.well-known/ecolabel-registry").json()["checkpoint_verifier_key"])


def _leaf_hashes(client: TestClient) -> list[bytes]:
    entries = client.get("/v1/log/entries", params={"limit": 1000}).json()["entries"]
    return [base64.b64decode(entry["leaf_hash"]) for entry in entries]


def test_every_write_answers_with_a_receipt_that_verifies_offline(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    verifier = _verifier(client)
    for index, (body, receipt) in enumerate(_register(client, admin_headers, 5)):
        assert receipt.leaf_index == index
        checkpoint = verify_receipt(receipt, body, verifier)
        assert checkpoint.tree_size == index + 1
        with pytest.raises(ProofInvalid):
            verify_receipt(receipt, body + b" ", verifier)


def test_the_logged_document_is_the_exact_bytes_received(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = (
        b'{ "id" : "spaced-out",\n "names": {"en": "Spaced"}, "countries": ["JP"], "gen_member": false, "root_keys": '
    )
    body += programme_registration().body.split(b'"root_keys": ', 1)[1]
    response = client.post("/v1/programmes", content=body, headers={**admin_headers, **JSON})
    assert response.status_code == 201, response.text
    (entry,) = client.get("/v1/log/entries").json()["entries"]
    assert entry["document"].encode() == body


def test_served_inclusion_proofs_verify_for_every_leaf_and_tree_size(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    _register(client, admin_headers, 11)
    leaves = _leaf_hashes(client)
    for size in range(1, len(leaves) + 1):
        root = root_from_leaf_hashes(leaves[:size])
        for index in range(size):
            proof = client.get("/v1/log/proofs/inclusion", params={"leaf_index": index, "tree_size": size}).json()
            assert base64.b64decode(proof["leaf_hash"]) == leaves[index]
            verify_inclusion(index, size, leaves[index], [base64.b64decode(p) for p in proof["proof"]], root)


def test_inclusion_proof_by_leaf_hash_finds_the_leaf(client: TestClient, admin_headers: dict[str, str]) -> None:
    _register(client, admin_headers, 6)
    leaves = _leaf_hashes(client)
    response = client.get("/v1/log/proofs/inclusion", params={"leaf_hash": base64.b64encode(leaves[4]).decode()})
    assert response.status_code == 200
    assert response.json()["leaf_index"] == 4
    assert response.json()["tree_size"] == 6


def test_served_consistency_proofs_verify_between_every_pair_of_sizes(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    _register(client, admin_headers, 9)
    leaves = _leaf_hashes(client)
    for first, second in itertools.combinations_with_replacement(range(1, len(leaves) + 1), 2):
        body = client.get("/v1/log/proofs/consistency", params={"first": first, "second": second}).json()
        verify_consistency(
            first,
            second,
            [base64.b64decode(p) for p in body["proof"]],
            root_from_leaf_hashes(leaves[:first]),
            root_from_leaf_hashes(leaves[:second]),
        )


def test_checkpoint_is_signed_by_the_published_key_for_the_configured_origin(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    _register(client, admin_headers, 3)
    body = client.get("/v1/log/checkpoint").json()
    checkpoint = verify_checkpoint(body["checkpoint"], _verifier(client), origin="registry.test/log")
    assert checkpoint.tree_size == 3 == body["tree_size"]
    assert checkpoint.root_hash == root_from_leaf_hashes(_leaf_hashes(client))


def test_the_empty_log_has_a_signed_checkpoint_of_the_empty_root(client: TestClient) -> None:
    body = client.get("/v1/log/checkpoint").json()
    checkpoint = verify_checkpoint(body["checkpoint"], _verifier(client))
    assert (checkpoint.tree_size, checkpoint.root_hash) == (0, root_from_leaf_hashes([]))


def test_a_refused_write_leaves_no_leaf(client: TestClient, admin_headers: dict[str, str]) -> None:
    fixture = programme_registration()
    assert client.post("/v1/programmes", content=fixture.body, headers={**admin_headers, **JSON}).status_code == 201
    again = client.post("/v1/programmes", content=fixture.body, headers={**admin_headers, **JSON})
    assert again.status_code == 409
    assert again.json()["type"] == "urn:ecolabel-registry:problem:conflict"
    assert client.get("/v1/log/checkpoint").json()["tree_size"] == 1


def test_entries_page_by_cursor(client: TestClient, admin_headers: dict[str, str]) -> None:
    _register(client, admin_headers, 5)
    first = client.get("/v1/log/entries", params={"start": 0, "limit": 2}).json()
    assert [e["leaf_index"] for e in first["entries"]] == [0, 1]
    assert first["next_start"] == 2
    last = client.get("/v1/log/entries", params={"start": 4, "limit": 2}).json()
    assert [e["leaf_index"] for e in last["entries"]] == [4]
    assert last["next_start"] is None


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/v1/log/proofs/inclusion", {"leaf_index": 5, "tree_size": 3}, 404),
        ("/v1/log/proofs/inclusion", {"leaf_index": 0, "tree_size": 99}, 404),
        ("/v1/log/proofs/inclusion", {}, 400),
        ("/v1/log/proofs/inclusion", {"leaf_index": 0, "leaf_hash": "A" * 43 + "="}, 400),
        ("/v1/log/proofs/inclusion", {"leaf_hash": "A" * 43 + "="}, 404),
        ("/v1/log/proofs/inclusion", {"leaf_hash": "not-base64"}, 422),
        ("/v1/log/proofs/consistency", {"first": 3, "second": 2}, 400),
        ("/v1/log/proofs/consistency", {"first": 1, "second": 50}, 404),
        ("/v1/log/proofs/consistency", {"first": -1}, 422),
        ("/v1/log/entries", {"limit": 100_000}, 422),
    ],
)
def test_bad_log_queries_are_problems(
    client: TestClient, admin_headers: dict[str, str], path: str, params: dict[str, object], status: int
) -> None:
    _register(client, admin_headers, 3)
    response = client.get(path, params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
