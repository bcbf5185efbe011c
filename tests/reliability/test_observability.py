"""`/metrics` in Prometheus format, request ids, and structured JSON logs that carry no secret."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from ecolabel_registry.app import create_app
from ecolabel_registry.observability.logging import _SECRET_PATTERNS, REDACTED, handler, redact
from ecolabel_registry.settings import Settings
from tests.registry.conftest import ADMIN_TOKEN
from tests.registry.factories import certificate_id, certifier
from tests.registry.live import live_servers

PRIVATE_KEY_PEM = (
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+not+a+real+key+at+all+0123456789=\n-----END PRIVATE KEY-----"
)
ORGANISATION_TOKEN = "elr_0123456789abcdef_S3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3c"
SUBSCRIBER_TOKEN = "els_fedcba9876543210_S3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3c"


def _samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_metrics_count_requests_by_route_and_rejections_by_reason(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = certifier(client, admin_headers)
    good = body.credential("M/1")
    client.post("/v1/certificates", json={"credential": good}).raise_for_status()
    client.get(f"/v1/certificates/{certificate_id(good)}").raise_for_status()
    client.post("/v1/certificates", json={"credential": "not-a-jws"})
    batch = client.post("/v1/certificates/batch", json={"credentials": [body.credential("M/1", validFrom="x")]})
    assert batch.json()["rejected"] == 1

    samples = _samples(client)
    by_id = {("method", "GET"), ("route", "/v1/certificates/{certificate_id}"), ("status", "200")}
    assert samples[("ecolabel_http_requests_total", frozenset(by_id))] == 1
    latency = {("method", "GET"), ("route", "/v1/certificates/{certificate_id}"), ("le", "+Inf")}
    assert samples[("ecolabel_http_request_duration_seconds_bucket", frozenset(latency))] == 1
    rejected = [
        (dict(labels), value)
        for (name, labels), value in samples.items()
        if name == "ecolabel_submissions_rejected_total"
    ]
    routes = {labels["route"] for labels, _ in rejected}
    assert routes == {"/v1/certificates", "/v1/certificates/batch"}
    assert all(labels["reason"] for labels, _ in rejected)
    tree_size = client.get("/v1/log/checkpoint").json()["tree_size"]
    assert samples[("ecolabel_log_tree_size", frozenset())] == tree_size
    assert samples[("ecolabel_outbox_depth", frozenset())] == 0
    # No worker ran: every leaf logged since the (empty) start is still to be matched.
    assert samples[("ecolabel_webhook_unmatched_leaves", frozenset())] == tree_size
    assert samples[("ecolabel_database_up", frozenset())] == 1


def test_every_answer_carries_a_request_id_and_a_well_formed_one_is_kept(client: TestClient) -> None:
    generated = client.get("/v1/programmes").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/v1/programmes").headers["x-request-id"] != generated
    assert client.get("/nowhere", headers={"X-Request-ID": "trace-0123456789"}).headers["x-request-id"] == (
        "trace-0123456789"
    )
    forged = client.get("/v1/programmes", headers={"X-Request-ID": "bad id\nwith a newline"})
    assert forged.headers["x-request-id"] != "bad id\nwith a newline"
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["x-request-id"])


SLEEP_S = 0.03  # a known time that sits inside the histogram's buckets (between 0.025 and 0.05)


def test_a_request_is_recorded_with_the_time_it_took(settings: Settings, captured_logs: io.StringIO) -> None:
    app = create_app(settings)

    @app.get("/sleeps")
    def sleeps() -> dict[str, str]:  # a plain def: time.sleep waits at least this long
        time.sleep(SLEEP_S)
        return {}

    with TestClient(app) as client:
        started = time.perf_counter()
        assert client.get("/sleeps").status_code == 200
        observed = time.perf_counter() - started  # the whole round trip, as the test saw it
        samples = _samples(client)

    (line,) = [
        record
        for record in map(json.loads, captured_logs.getvalue().splitlines())
        if record["logger"] == "ecolabel_registry.access" and record["route"] == "/sleeps"
    ]
    # At least the sleep (less the log's rounding to a microsecond), at most the round trip around it.
    assert SLEEP_S * 1000 - 0.001 <= line["duration_ms"] <= observed * 1000
    route = {("method", "GET"), ("route", "/sleeps")}
    recorded = samples[("ecolabel_http_request_duration_seconds_sum", frozenset(route))]
    assert SLEEP_S <= recorded <= observed
    buckets = {
        float(dict(labels)["le"]): value
        for (name, labels), value in samples.items()
        if name == "ecolabel_http_request_duration_seconds_bucket" and route <= labels
    }
    assert buckets[float("inf")] == 1
    for bound, count in buckets.items():
        if bound < SLEEP_S:
            assert count == 0, f"an observation below the sleep fell in le={bound}"
        elif bound >= observed:
            assert count == 1, f"the observation is missing from le={bound}"


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """The JSON handler `serve` installs, on the root logger, writing to a buffer."""
    stream = io.StringIO()
    installed = handler("json", stream)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(installed)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(installed)
    root.setLevel(previous)


def test_the_access_line_has_its_fields_in_order_and_is_not_written_when_its_level_is_off(
    client: TestClient, captured_logs: io.StringIO
) -> None:
    client.get("/healthz", headers={"X-Request-ID": "req-0002-abcdef"})
    (line,) = [json.loads(text) for text in captured_logs.getvalue().splitlines() if "ecolabel_registry.access" in text]
    assert list(line) == [
        *("ts", "level", "logger", "message", "request_id"),
        *("method", "route", "path", "status", "duration_ms"),
    ]
    assert (line["level"], line["message"], line["request_id"]) == ("INFO", "GET /healthz 200", "req-0002-abcdef")

    access = logging.getLogger("ecolabel_registry.access")
    access.setLevel(logging.WARNING)
    try:
        client.get("/healthz")
    finally:
        access.setLevel(logging.NOTSET)
    assert captured_logs.getvalue().count("ecolabel_registry.access") == 1
    assert (
        _samples(client)[
            ("ecolabel_http_requests_total", frozenset({("method", "GET"), ("route", "/healthz"), ("status", "200")}))
        ]
        == 2
    )  # still counted


def test_logs_are_json_lines_with_the_request_id_and_no_credentials(
    client: TestClient, admin_headers: dict[str, str], captured_logs: io.StringIO
) -> None:
    client.get("/v1/programmes", headers={**admin_headers, "X-Request-ID": "req-0001-abcdef"})
    client.post("/v1/programmes", json={"id": "x"}, headers={"Authorization": f"Bearer {ORGANISATION_TOKEN}"})
    logging.getLogger("ecolabel_registry.test").warning("leaked %s and %s", f"Bearer {ADMIN_TOKEN}", PRIVATE_KEY_PEM)

    text = captured_logs.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    access = [line for line in lines if line["logger"] == "ecolabel_registry.access"]
    assert access[0]["request_id"] == "req-0001-abcdef"
    assert access[0]["route"] == "/v1/programmes"
    assert access[0]["status"] == 200
    assert all(line["request_id"] for line in access)
    for secret in (ADMIN_TOKEN, ORGANISATION_TOKEN, "not+a+real+key"):
        assert secret not in text


def test_redaction_masks_bearer_tokens_organisation_tokens_and_private_keys() -> None:
    text = redact(
        f"Authorization: Bearer {ADMIN_TOKEN}; token {ORGANISATION_TOKEN}; subscriber {SUBSCRIBER_TOKEN}; "
        f"key {PRIVATE_KEY_PEM}"
    )
    assert ADMIN_TOKEN not in text
    assert ORGANISATION_TOKEN not in text
    assert SUBSCRIBER_TOKEN not in text
    assert "PRIVATE KEY" not in text
    assert text.count("[redacted]") == 4


# Text built from the pieces the patterns look for, in any case and order, with noise between.
_PIECES = st.sampled_from(
    [
        "Bearer ",
        "bEaReR\t",
        "BASIC  ",
        "basic",
        "elr_",
        "ELR_",
        "els_",
        "0123456789abcdef",
        "_",
        "-----BEGIN ",
        "-----begin ",
        "PRIVATE KEY-----",
        "-----END RSA PRIVATE KEY-----",
        "abc",
        "x.y~z+/=",
        " ",
        "\n",
        "é",
    ]
)


@example("Authorization: BEARER abc")
@example("basic x.y")
@example("token elr_0123456789abcdef_secret")
@example("token els_0123456789abcdef_secret")
@example("-----BEGIN PRIVATE KEY-----abc")
@hypothesis_settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PIECES, _PIECES, st.text(max_size=8)), max_size=12).map("".join))
def test_redaction_with_its_quick_look_is_redaction_with_every_pattern(text: str) -> None:
    # `redact` returns early when no pattern's literal occurs; the answer must be the patterns' own.
    expected = text
    for pattern in _SECRET_PATTERNS:
        expected = pattern.sub(REDACTED, expected)
    assert redact(text) == expected


def test_a_live_server_writes_json_logs_without_the_admin_token(
    settings: Settings, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    with live_servers(settings, 1, tmp_path) as (server,), httpx.Client(base_url=server.url) as http:
        certifier(http, admin_headers, "logged-programme")
        http.get("/v1/programmes", headers={"Authorization": "Bearer wrong-token"})
        http.post("/v1/programmes", json={}, headers={"Authorization": f"Bearer {ORGANISATION_TOKEN}"})
        request_id = http.get("/v1/programmes", headers={"X-Request-ID": "live-request-0001"}).headers["x-request-id"]
    text = (tmp_path / "server-0.log").read_text()
    assert ADMIN_TOKEN not in text
    assert ORGANISATION_TOKEN not in text
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(record.get("request_id") == request_id and record.get("status") == 200 for record in records)
    assert not [line for line in text.splitlines() if line and not line.startswith("{")]
