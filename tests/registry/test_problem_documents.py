"""Every error is an RFC 9457 problem document with a stable type, and nothing is stored."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ecolabel_registry.observability.logging import handler
from tests.registry.factories import programme_registration

PROBLEM = "application/problem+json"


def _type(slug: str) -> str:
    return f"urn:ecolabel-registry:problem:{slug}"


def _assert_problem(response: object, status: int, slug: str) -> dict[str, object]:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers["content-type"] == PROBLEM  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["type"] == _type(slug)
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert isinstance(body["detail"], str)
    assert "Traceback" not in response.text  # type: ignore[attr-defined]
    return body


def _log_size(client: TestClient) -> int:
    size: int = client.get("/v1/log/checkpoint").json()["tree_size"]
    return size


def test_unknown_path_is_not_found(client: TestClient) -> None:
    _assert_problem(client.get("/v1/nothing-here"), 404, "not-found")


def test_wrong_method_is_method_not_allowed(client: TestClient) -> None:
    _assert_problem(client.delete("/healthz"), 405, "method-not-allowed")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"id": "x",', "INVALID_JSON"),
        (b'{"id": "a", "id": "b"}', "DUPLICATE_KEY"),
        (b'{"n": NaN}', "NON_FINITE_NUMBER"),
        (b'{"n": 1e400}', "NON_FINITE_NUMBER"),
        (b"[" * 100 + b"]" * 100, "TOO_DEEP"),
        (b'{"id": "\xff\xfe"}', "INVALID_UTF8"),
        (b'{"id": "\\ud800"}', "LONE_SURROGATE"),
    ],
    ids=["truncated", "duplicate-key", "nan", "overflow", "too-deep", "invalid-utf8", "lone-surrogate"],
)
def test_malformed_json_is_refused_before_validation(
    client: TestClient, admin_headers: dict[str, str], body: bytes, code: str
) -> None:
    response = client.post(
        "/v1/programmes", content=body, headers={**admin_headers, "content-type": "application/json"}
    )
    problem = _assert_problem(response, 400, "malformed-json")
    assert problem["code"] == code
    assert _log_size(client) == 0


def test_a_two_mebibyte_body_is_payload_too_large(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = b'{"id": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = client.post(
        "/v1/programmes", content=body, headers={**admin_headers, "content-type": "application/json"}
    )
    problem = _assert_problem(response, 413, "payload-too-large")
    assert problem["max_bytes"] == 1_048_576
    assert _log_size(client) == 0


def test_a_chunked_body_over_the_limit_is_payload_too_large(client: TestClient, admin_headers: dict[str, str]) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"id": "'
        for _ in range(32):
            yield b"a" * 65_536
        yield b'"}'

    response = client.post(
        "/v1/programmes", content=chunks(), headers={**admin_headers, "content-type": "application/json"}
    )
    _assert_problem(response, 413, "payload-too-large")


def test_a_wrong_content_type_is_unsupported_media_type(client: TestClient, admin_headers: dict[str, str]) -> None:
    registration = programme_registration()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", ""):
        response = client.post(
            "/v1/programmes",
            content=registration.body,
            headers={**admin_headers, "content-type": content_type},
        )
        _assert_problem(response, 415, "unsupported-media-type")
    assert _log_size(client) == 0


def test_schema_violations_are_validation_problems_listing_each_error(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post("/v1/programmes", json={"id": "Not A Slug", "countries": ["XX"]}, headers=admin_headers)
    problem = _assert_problem(response, 422, "validation-failed")
    locations = {tuple(error["loc"]) for error in problem["errors"]}  # type: ignore[attr-defined]
    assert ("body", "id") in locations
    assert ("body", "countries", "0") in locations
    assert ("body", "names") in locations


def test_an_unexpected_error_is_an_internal_problem_without_details(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    # A real fault, not a patched function: the programmes table disappears under the running app.
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE programme_keys RENAME TO programme_keys_gone"))
    logged = io.StringIO()
    errors_log = logging.getLogger("ecolabel_registry.errors")
    errors_log.addHandler(log_handler := handler("json", logged))
    try:
        response = client.post(
            "/v1/programmes",
            content=programme_registration().body,
            headers={**admin_headers, "content-type": "application/json", "X-Request-ID": "trace-500-0123456789"},
        )
    finally:
        errors_log.removeHandler(log_handler)
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE programme_keys_gone RENAME TO programme_keys"))
    problem = _assert_problem(response, 500, "internal-error")
    assert "programme_keys" not in response.text
    assert problem["detail"] == "an unexpected error occurred"
    # An operator finds the traceback from the id the client saw.
    assert response.headers["x-request-id"] == "trace-500-0123456789"
    (line,) = [json.loads(text) for text in logged.getvalue().splitlines()]
    assert (line["request_id"], line["message"]) == ("trace-500-0123456789", "unhandled error on POST /v1/programmes")
    assert "programme_keys" in line["exception"]
    assert _log_size(client) == 0, "the log append must roll back with the failed insert"


def test_a_non_numeric_content_length_is_a_bad_request(client: TestClient) -> None:
    response = client.post(
        "/v1/programmes", content=b"{}", headers={"content-type": "application/json", "content-length": "ten"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
