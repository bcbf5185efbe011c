"""The client's retry policy and error mapping, against an in-process mock transport."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from certifiers.client import (
    CertifierClient,
    RegistryUnavailable,
    RetryPolicy,
    SubmissionRefused,
    retry_after_seconds,
)
from certifiers.responses import Outcome, RegistryAnswerInvalid

Handler = Callable[[httpx.Request], httpx.Response]
PROBLEM = "application/problem+json"


def _client(handler: Handler, sleeps: list[float], **kwargs: object) -> CertifierClient:
    policy = RetryPolicy(attempts=4, base_delay=0.1, max_delay=5.0, sleep=sleeps.append)
    transport = httpx.MockTransport(handler)
    return CertifierClient("http://registry.test", transport=transport, retry=policy, **kwargs)  # type: ignore[arg-type]


def _problem(status: int, slug: str, code: str | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"type": f"urn:ecolabel-registry:problem:{slug}", "title": slug, "status": status, "detail": f"{slug}!"}
    if code:
        body["code"] = code
    return httpx.Response(status, json=body, headers={"Content-Type": PROBLEM, **(headers or {})})


def test_503_and_429_are_retried_honouring_retry_after() -> None:
    answers = [_problem(503, "database-unavailable", headers={"Retry-After": "2"}), _problem(429, "too-many")]
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return (
            answers.pop(0)
            if answers
            else httpx.Response(200, json={"log_origin": "o", "checkpoint_verifier_key": "k", "jwks": {}})
        )

    sleeps: list[float] = []
    with _client(handler, sleeps) as client:
        assert client.identity().log_origin == "o"
    assert len(calls) == 3
    assert sleeps[0] == 2.0  # Retry-After, not the backoff
    assert 0 <= sleeps[1] <= 0.2  # no Retry-After: jittered backoff of the second attempt


def test_a_huge_retry_after_is_capped() -> None:
    answers = [_problem(503, "busy", headers={"Retry-After": "86400"})]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0) if answers else httpx.Response(200, json={"items": [], "next_cursor": None})

    sleeps: list[float] = []
    with _client(handler, sleeps) as client:
        client.find_certificates(programme="cn-cel")
    assert sleeps == [5.0]


def test_persistent_unavailability_gives_up_after_the_last_attempt() -> None:
    sleeps: list[float] = []
    with _client(lambda _: _problem(503, "busy"), sleeps) as client, pytest.raises(RegistryUnavailable):
        client.submit("a.b.c")
    assert len(sleeps) == 3


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_4xx_is_never_retried_and_becomes_submission_refused(status: int) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return _problem(status, "signing-key-not-valid", "SIGNING_KEY_RETIRED")

    sleeps: list[float] = []
    with _client(handler, sleeps) as client, pytest.raises(SubmissionRefused) as exc:
        client.submit("a.b.c")
    assert (exc.value.status, exc.value.slug, exc.value.code) == (
        status,
        "signing-key-not-valid",
        "SIGNING_KEY_RETIRED",
    )
    assert exc.value.detail == "signing-key-not-valid!"
    assert len(calls) == 1
    assert sleeps == []


def test_connection_errors_are_retried() -> None:
    failures = [httpx.ConnectError("refused"), httpx.ConnectError("refused")]

    def handler(request: httpx.Request) -> httpx.Response:
        if failures:
            raise failures.pop(0)
        return httpx.Response(200, json={"items": [{"id": "x"}], "next_cursor": "abc"})

    sleeps: list[float] = []
    with _client(handler, sleeps) as client:
        page = client.find_certificates(gtin="06901234567892", as_of=datetime(2026, 1, 1, tzinfo=UTC))
    assert page.next_cursor == "abc"
    assert len(sleeps) == 2


def test_a_read_error_after_sending_is_retried_only_for_idempotent_calls() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset")

    sleeps: list[float] = []
    with _client(handler, sleeps) as client, pytest.raises(RegistryUnavailable):
        client.submit_event("aa" * 32, "a.b.c")  # an event is not blindly resent
    assert sleeps == []
    with _client(handler, sleeps) as client, pytest.raises(RegistryUnavailable):
        client.submit("a.b.c")  # a credential is: the registry answers "duplicate"
    assert len(sleeps) == 3


def test_requests_carry_json_and_the_admin_token_only_where_needed() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _problem(409, "conflict")

    with _client(handler, [], admin_token="secret-token") as client:
        with pytest.raises(SubmissionRefused):
            client.register_programme({"id": "cn-cel"})
        with pytest.raises(SubmissionRefused):
            client.submit("a.b.c")
    assert seen[0].headers["Authorization"] == "Bearer secret-token"
    assert "Authorization" not in seen[1].headers
    assert seen[1].headers["Content-Type"] == "application/json"
    assert json.loads(seen[1].content) == {"credential": "a.b.c"}


def test_register_programme_without_a_token_is_refused_locally() -> None:
    with _client(lambda _: httpx.Response(500), []) as client, pytest.raises(ValueError, match="admin token"):
        client.register_programme({"id": "cn-cel"})


def test_a_non_json_error_still_becomes_submission_refused() -> None:
    with (
        _client(lambda _: httpx.Response(502, text="Bad Gateway"), []) as client,
        pytest.raises(SubmissionRefused) as exc,
    ):
        client.submit("a.b.c")
    assert (exc.value.status, exc.value.problem_type) == (502, "about:blank")


def test_batch_results_are_parsed_and_checked_against_what_was_sent() -> None:
    problem = {"type": "urn:ecolabel-registry:problem:unknown-category", "title": "t", "status": 422, "detail": "d"}
    body = {
        "results": [{"index": 0, "outcome": "rejected", "certificate_id": None, "receipt": None, "problem": problem}],
        "accepted": 0,
        "duplicates": 0,
        "rejected": 1,
    }
    with _client(lambda _: httpx.Response(200, json=body), []) as client:
        result = client.submit_batch(["a.b.c"])
        assert result.rejected == 1
        assert result.items[0].outcome is Outcome.REJECTED
        assert result.items[0].problem is not None
        assert result.items[0].problem.slug == "unknown-category"
        with pytest.raises(RegistryAnswerInvalid, match="expected 2 results"):
            client.submit_batch(["a.b.c", "d.e.f"])
        with pytest.raises(ValueError, match="1 to 1000"):
            client.submit_batch([])


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC), usegmt=True)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(later, now=now.timestamp) == 30.0
    assert retry_after_seconds("yesterday") is None
    assert retry_after_seconds(None) is None


def test_a_success_without_a_json_object_is_an_invalid_answer() -> None:
    with _client(lambda _: httpx.Response(200, json=[1, 2]), []) as client, pytest.raises(RegistryAnswerInvalid):
        client.get_certificate("aa" * 32)


def test_ids_cannot_reach_another_endpoint() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return _problem(404, "not-found")

    with _client(handler, []) as client, pytest.raises(SubmissionRefused):
        client.get_certificate("x/events?status=1")
    assert seen == ["/v1/certificates/x%2Fevents%3Fstatus%3D1"]
