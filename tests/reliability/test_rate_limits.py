"""Rate limits answer 429 problem documents with Retry-After: per client, and per issuing programme."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.api.ratelimit import TokenBuckets
from tests.registry.factories import certifier
from tests.reliability.conftest import assert_problem

# A refill so slow that no test run can see a token come back: the outcomes do not depend on timing.
NEVER = 1e-6

AppWith = Callable[..., AbstractContextManager[TestClient]]


def _assert_throttled(response: object, code: str | None = None) -> None:
    problem = assert_problem(response, 429, "rate-limited", code)  # type: ignore[arg-type]
    retry_after = response.headers["retry-after"]  # type: ignore[attr-defined]
    assert retry_after.isdigit()
    assert int(retry_after) >= 1
    assert problem["retry_after"] == int(retry_after)


def test_a_client_over_its_burst_gets_429_with_retry_after(app_with: AppWith) -> None:
    with app_with(rate_limit_client_per_second=NEVER, rate_limit_client_burst=3) as http:
        for _ in range(3):
            assert http.get("/v1/programmes").status_code == 200
        _assert_throttled(http.get("/v1/programmes"))
        _assert_throttled(http.post("/v1/certificates", json={"credential": "x"}))
        # Liveness probes and metric scrapes are not client traffic.
        assert http.get("/healthz").status_code == 200
        assert http.get("/metrics").status_code == 200
        # Another credential is another client.
        assert http.get("/v1/programmes", headers={"Authorization": "Bearer someone-else"}).status_code == 200


def test_a_programme_over_its_rate_is_refused_whole_and_nothing_is_logged(
    app_with: AppWith, admin_headers: dict[str, str]
) -> None:
    with app_with(rate_limit_programme_per_second=NEVER, rate_limit_programme_burst=5) as http:
        busy = certifier(http, admin_headers, "busy-programme")
        quiet = certifier(http, admin_headers, "quiet-programme")
        tokens = [busy.credential(f"B/{n}") for n in range(5)]
        assert http.post("/v1/certificates/batch", json={"credentials": tokens}).json()["accepted"] == 5
        size = http.get("/v1/log/checkpoint").json()["tree_size"]

        response = http.post("/v1/certificates", json={"credential": busy.credential("B/5")})
        _assert_throttled(response, "PROGRAMME_RATE_LIMITED")
        assert response.json()["programme"] == "busy-programme"
        batch = http.post(
            "/v1/certificates/batch", json={"credentials": [quiet.credential("Q/1"), busy.credential("B/6")]}
        )
        _assert_throttled(batch, "PROGRAMME_RATE_LIMITED")
        assert http.get("/v1/log/checkpoint").json()["tree_size"] == size

        assert http.post("/v1/certificates", json={"credential": quiet.credential("Q/2")}).status_code == 201


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_refills_at_its_rate_and_says_how_long_to_wait() -> None:
    clock = _Clock()
    buckets = TokenBuckets(rate=2.0, burst=4, clock=clock)
    assert all(buckets.take("a") is None for _ in range(4))
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now = 1.0  # two tokens back
    assert buckets.take("a", 2) is None
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now = 100.0  # never more than the burst
    assert buckets.take("a", 4) is None
    assert buckets.take("a") is not None


def test_a_cost_above_the_burst_is_slowed_down_not_made_impossible() -> None:
    clock = _Clock()
    buckets = TokenBuckets(rate=10.0, burst=5, clock=clock)
    assert buckets.take("batch", 1000) is None
    assert buckets.take("batch", 1000) == pytest.approx(0.5)


def test_the_bucket_table_is_bounded_and_forgets_the_least_recent_client() -> None:
    clock = _Clock()
    buckets = TokenBuckets(rate=1.0, burst=1, clock=clock, max_keys=2)
    assert buckets.take("first") is None
    assert buckets.take("second") is None
    assert buckets.take("third") is None  # evicts "first", the least recently seen
    assert buckets.take("second") is not None  # still tracked, still empty
    assert buckets.take("first") is None  # forgotten: starts again with a full bucket
