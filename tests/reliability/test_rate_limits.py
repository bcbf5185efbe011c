"""Rate limits answer 429 problem documents with Retry-After: per client, and per issuing programme."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager

import anyio
import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.api.ratelimit import KnownCallers, TokenBuckets
from tests.registry.factories import Certifier, certifier
from tests.reliability.conftest import assert_problem
from tests.supply.world import Supply
from verification.ed25519 import generate_private_key

# A refill so slow that no test run can see a token come back: the outcomes do not depend on timing.
NEVER = 1e-6

AppWith = Callable[..., AbstractContextManager[TestClient]]


def _assert_throttled(response: object, code: str | None = None) -> None:
    problem = assert_problem(response, 429, "rate-limited", code)  # type: ignore[arg-type]
    retry_after = response.headers["retry-after"]  # type: ignore[attr-defined]
    assert retry_after.isdigit()
    assert int(retry_after) >= 1
    assert problem["retry_after"] == int(retry_after)


def test_a_client_over_its_burst_gets_429_with_retry_after(app_with: AppWith, admin_headers: dict[str, str]) -> None:
    with app_with(rate_limit_client_per_second=NEVER, rate_limit_client_burst=3) as http:
        for _ in range(3):
            assert http.get("/v1/programmes").status_code == 200
        _assert_throttled(http.get("/v1/programmes"))
        _assert_throttled(http.post("/v1/certificates", json={"credential": "x"}))
        # Liveness probes and metric scrapes are not client traffic.
        assert http.get("/healthz").status_code == 200
        assert http.get("/metrics").status_code == 200
        # An authenticated caller is another client; a credential that authenticates nobody is not.
        assert http.get("/v1/programmes", headers=admin_headers).status_code == 200
        _assert_throttled(http.get("/v1/programmes", headers={"Authorization": "Bearer someone-else"}))


def test_the_checks_before_a_route_keep_their_order_and_every_refusal_carries_a_request_id(app_with: AppWith) -> None:
    oversized = {"content": b"x" * (2 * 1_048_576), "headers": {"content-type": "application/json"}}
    with app_with(rate_limit_client_per_second=NEVER, rate_limit_client_burst=2) as http:
        # A malformed X-Min-Tree-Size is refused before the client is charged for the request.
        for _ in range(3):
            refused = http.get("/v1/programmes", headers={"X-Min-Tree-Size": "-1"})
            assert_problem(refused, 400, "bad-request")
            assert refused.headers["x-request-id"]
        too_large = http.post("/v1/certificates", **oversized)  # the first token
        assert_problem(too_large, 413, "payload-too-large")
        assert too_large.headers["x-request-id"]
        assert http.get("/v1/programmes", headers={"X-Min-Tree-Size": "0"}).status_code == 200  # the second
        # Over its rate, a client's body is not looked at: throttled, not too large.
        throttled = http.post("/v1/certificates", **oversized)
        _assert_throttled(throttled)
        assert throttled.headers["x-request-id"]


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


def test_made_up_credentials_share_their_address_bucket(app_with: AppWith) -> None:
    """A fresh random Authorization value per request must not buy a fresh bucket per request."""
    with app_with(rate_limit_client_per_second=NEVER, rate_limit_client_burst=3) as http:
        for n in range(3):
            made_up = {"Authorization": f"Bearer elr_{n:016x}_{secrets.token_urlsafe(32)}"}
            assert http.get("/v1/programmes", headers=made_up).status_code == 200
        _assert_throttled(http.get("/v1/programmes", headers={"Authorization": f"Bearer {secrets.token_hex(16)}"}))
        _assert_throttled(http.get("/v1/programmes", headers={"Authorization": "Basic dXNlcjpwYXNz"}))
        _assert_throttled(http.get("/v1/programmes"))


def test_an_authenticated_caller_has_its_own_bucket(app_with: AppWith, admin_headers: dict[str, str]) -> None:
    with app_with(rate_limit_client_per_second=NEVER, rate_limit_client_burst=4) as http:
        supply = Supply(http, admin_headers)
        organisation = supply.organisation("Bucket Paper Co.")  # two requests on the operator's bucket
        # A token's first request is charged to its address, which pays for checking it; later ones to
        # the organisation.
        assert http.get("/v1/me", headers=organisation.headers).status_code == 200
        for _ in range(3):
            assert http.get("/v1/programmes").status_code == 200
        _assert_throttled(http.get("/v1/programmes"))  # the address is spent ...
        for _ in range(4):  # ... and the organisation and the operator still have their own buckets
            assert http.get("/v1/me", headers=organisation.headers).status_code == 200
        _assert_throttled(http.get("/v1/me", headers=organisation.headers))
        for _ in range(2):
            assert http.get("/v1/programmes", headers=admin_headers).status_code == 200
        _assert_throttled(http.get("/v1/programmes", headers=admin_headers))


def test_forged_or_replayed_credentials_do_not_spend_a_programme_budget(
    app_with: AppWith, admin_headers: dict[str, str]
) -> None:
    with app_with(rate_limit_programme_per_second=NEVER, rate_limit_programme_burst=5) as http:
        victim = certifier(http, admin_headers, "victim-programme")
        forger = Certifier(victim.programme_id, {victim.kid: generate_private_key()}, victim.kid)
        forged = http.post(
            "/v1/certificates/batch", json={"credentials": [forger.credential(f"F/{n}") for n in range(20)]}
        )
        assert forged.status_code == 200, forged.text
        assert forged.json()["rejected"] == 20
        assert {r["problem"]["code"] for r in forged.json()["results"]} == {"BAD_SIGNATURE"}
        assert http.post("/v1/certificates", json={"credential": forger.credential("F/x")}).status_code == 422

        first = [victim.credential(f"V/{n}") for n in range(2)]
        assert http.post("/v1/certificates/batch", json={"credentials": first}).json()["accepted"] == 2
        # Anyone can fetch and resend logged credentials: a replay logs nothing and costs nothing.
        replayed = http.post("/v1/certificates/batch", json={"credentials": first * 5})
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["duplicates"] == 10
        assert http.post("/v1/certificates", json={"credential": first[0]}).status_code == 200

        rest = [victim.credential(f"V/{n}") for n in range(2, 5)]
        assert http.post("/v1/certificates/batch", json={"credentials": rest}).json()["accepted"] == 3
        _assert_throttled(
            http.post("/v1/certificates", json={"credential": victim.credential("V/5")}), "PROGRAMME_RATE_LIMITED"
        )


def _run_in_own_thread(function: Callable[[str], Awaitable[None]], argument: str) -> None:
    """`anyio.run` on a thread of its own: this worker's thread may carry an event loop another test's
    client left marked as running, and anyio refuses to start a second one there."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            anyio.run(function, argument)
        except BaseException as exc:  # noqa: BLE001  (re-raised on the test's thread below)
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def test_a_proven_token_is_remembered_for_a_while_and_a_failed_one_never() -> None:
    clock = _Clock()
    checks: list[str] = []
    stored = {"elr_0123456789abcdef_good": "organisation:o-1"}

    def identify(presented: str) -> str | None:
        checks.append(presented)
        return stored.get(presented)

    callers = KnownCallers(lambda presented: presented == "admin", identify, ttl_s=60, clock=clock)
    assert callers.known("admin") == "operator"
    for presented in ("elr_0123456789abcdef_good", "elr_0123456789abcdef_wrong", "not-a-stored-token"):
        assert callers.known(presented) is None
        _run_in_own_thread(callers.learn, presented)
    assert checks == ["elr_0123456789abcdef_good", "elr_0123456789abcdef_wrong"]  # only token-shaped ones
    assert callers.known("elr_0123456789abcdef_good") == "organisation:o-1"
    assert callers.known("elr_0123456789abcdef_wrong") is None
    clock.now = 61.0  # past the time a check is trusted for: checked again before it names a bucket
    assert callers.known("elr_0123456789abcdef_good") is None


def test_a_subscriber_credential_names_its_own_bucket(app_with: AppWith, admin_headers: dict[str, str]) -> None:
    with app_with(rate_limit_client_per_second=NEVER, rate_limit_client_burst=3) as http:
        issued = http.post("/v1/subscribers", json={"name": "Portal"}, headers=admin_headers)
        subscriber = {"Authorization": f"Bearer {issued.json()['token']}"}
        assert http.get("/v1/subscriptions", headers=subscriber).status_code == 200  # the address pays once
        for _ in range(2):
            assert http.get("/v1/programmes").status_code == 200
        _assert_throttled(http.get("/v1/programmes"))
        for _ in range(3):
            assert http.get("/v1/subscriptions", headers=subscriber).status_code == 200
        _assert_throttled(http.get("/v1/subscriptions", headers=subscriber))
