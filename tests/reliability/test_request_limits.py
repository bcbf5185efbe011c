"""Input limits: string lengths, U+0000, 64-bit indexes and the 405 Allow header.

Body size, batch size and JSON depth are covered in tests/registry (test_problem_documents.py,
test_certificate_submission.py); these are the limits the schema fuzzer showed were missing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import certifier, programme_registration
from tests.reliability.conftest import assert_problem

JSON = {"content-type": "application/json"}


def test_a_string_longer_than_the_cap_is_refused_before_anything_is_verified(
    app_with: Callable[..., AbstractContextManager[TestClient]],
) -> None:
    with app_with(max_string_chars=256) as http:
        size = http.get("/v1/log/checkpoint").json()["tree_size"]
        response = http.post("/v1/certificates", json={"credential": "a" * 257})
        problem = assert_problem(response, 400, "malformed-json", "STRING_TOO_LONG")
        assert problem["max_string_chars"] == 256
        # A long key is a long string too.
        assert_problem(http.post("/v1/certificates", json={"k" * 257: 1}), 400, "malformed-json", "STRING_TOO_LONG")
        # At the cap it passes the parser and meets the ordinary checks.
        assert http.post("/v1/certificates", json={"credential": "a" * 256}).status_code == 422
        assert http.get("/v1/log/checkpoint").json()["tree_size"] == size


def test_escaped_quotes_cannot_hide_a_long_string(
    app_with: Callable[..., AbstractContextManager[TestClient]],
) -> None:
    # Bodies are first judged from their raw text; an escaped quote splits a string into short pieces
    # there, so such a body must be walked value by value.
    with app_with(max_string_chars=256) as http:
        long_with_quotes = b'{"credential": "' + b'a\\"' * 200 + b'"}'
        response = http.post("/v1/certificates", content=long_with_quotes, headers=JSON)
        assert_problem(response, 400, "malformed-json", "STRING_TOO_LONG")
        # A backslash written as `\\` before "u0000" is not a NUL: it reaches the ordinary checks.
        not_nul = b'{"credential": "a\\\\u0000"}'
        assert http.post("/v1/certificates", content=not_nul, headers=JSON).status_code == 422


def test_nul_in_a_json_body_is_a_bad_request_on_every_backend(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    document = programme_registration().document
    document["names"]["en"] = "Nordic\u0000Swan"
    response = client.post("/v1/programmes", json=document, headers=admin_headers)
    assert_problem(response, 400, "malformed-json", "NUL_CHARACTER")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/certificates", {"licence_no": "CEC\x00-1"}),
        ("/v1/programmes/a%00b", {}),
    ],
)
def test_nul_in_the_path_or_query_is_a_bad_request(client: TestClient, path: str, params: dict[str, str]) -> None:
    assert_problem(client.get(path, params=params), 400, "bad-request", "NUL_CHARACTER")


def test_nul_inside_a_signed_credential_is_refused_not_a_server_error(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    # Found by fuzzing: PostgreSQL cannot store U+0000 in text, so this was a 500 (and sank a whole batch).
    body = certifier(client, admin_headers)
    payload = body.credential_payload("NUL/1")
    payload["credentialSubject"]["holder"]["name"] = "Vernici\u0000Verdi"
    token = body.sign(payload, "vc+jwt")
    assert_problem(
        client.post("/v1/certificates", json={"credential": token}), 422, "document-invalid", "NUL_CHARACTER"
    )
    batch = client.post("/v1/certificates/batch", json={"credentials": [token, body.credential("NUL/2")]})
    assert batch.status_code == 200
    assert [item["outcome"] for item in batch.json()["results"]] == ["rejected", "accepted"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/log/entries", {"start": 2**63}),
        ("/v1/log/proofs/inclusion", {"leaf_index": 2**63}),
        ("/v1/log/proofs/consistency", {"first": 1, "second": 2**63}),
    ],
)
def test_an_index_beyond_64_bits_is_a_validation_problem(client: TestClient, path: str, params: dict[str, int]) -> None:
    # Found by fuzzing: on PostgreSQL a number past BIGINT reached the query and failed there (500).
    assert_problem(client.get(path, params=params), 422, "validation-failed")


def test_a_consistency_proof_from_the_empty_tree_is_a_bad_request(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    # Found by fuzzing: first=0 reached the proof code, which defines proofs for 0 < first only (500).
    client.post("/v1/programmes", content=programme_registration().body, headers={**admin_headers, **JSON})
    response = client.get("/v1/log/proofs/consistency", params={"first": 0})
    assert_problem(response, 400, "bad-request")


def test_405_names_every_method_the_path_serves(client: TestClient) -> None:
    # GET and POST /v1/certificates are two routes; Starlette alone would name only the first one.
    response = client.put("/v1/certificates", json={})
    assert_problem(response, 405, "method-not-allowed")
    assert set(response.headers["allow"].split(", ")) >= {"GET", "POST"}


def test_405_on_a_literal_path_names_only_its_own_methods(client: TestClient) -> None:
    # /v1/certificates/batch also matches the text of /v1/certificates/{certificate_id}, which serves GET.
    response = client.put("/v1/certificates/batch", json={})
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "POST"
