"""The webhook worker: matches new status events to subscriptions, then delivers the outbox.

Each pass first queues the deliveries of events logged since the last pass (`matching`), then claims
due deliveries, POSTs them, retries with exponential backoff and parks a delivery after too many
failures. At least once, never lost: a delivery leaves the outbox only when a callback answered 2xx.
A worker that dies mid-delivery holds only a lease, which runs out, and the next worker sends the same
body with the same `Idempotency-Key`, so receivers can drop the duplicate.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine, RowMapping

from ecolabel_registry import clock
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.errors import ValidationFailed
from ecolabel_registry.settings import Settings
from ecolabel_registry.webhooks import repository
from ecolabel_registry.webhooks.matching import Notifier, match_new_events
from ecolabel_registry.webhooks.ssrf import check_callback

_log = logging.getLogger("ecolabel_registry.webhooks")
_MICROS = 1_000_000


@dataclass(frozen=True)
class Policy:
    max_attempts: int
    backoff_base_s: float
    backoff_max_s: float
    timeout_s: float
    lease_s: float
    allow_private: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            max_attempts=settings.webhook_max_attempts,
            backoff_base_s=settings.webhook_backoff_base_s,
            backoff_max_s=settings.webhook_backoff_max_s,
            timeout_s=settings.webhook_timeout_s,
            lease_s=max(settings.webhook_lease_s, settings.webhook_timeout_s * 2),
            allow_private=settings.webhook_allow_private,
        )

    def delay_us(self, attempts: int) -> int:
        # Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): spreads retries out.
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** max(attempts - 1, 0))
        return int(random.uniform(ceiling / 2, ceiling) * _MICROS)  # noqa: S311  (timing jitter, not security)


def run_once(engine: Engine, policy: Policy, notifier: Notifier, client: httpx.Client, batch: int = 20) -> int:
    """Queue the deliveries of newly logged events, then deliver what is due; return how much was done."""
    queued = match_new_events(engine, notifier)
    return queued + deliver_due(engine, policy, client, batch)


def deliver_due(engine: Engine, policy: Policy, client: httpx.Client, batch: int = 20) -> int:
    """Deliver what is due now; return how many deliveries were attempted."""
    now_us = clock.now_us()
    with write_connection(engine) as connection:
        claimed = repository.claim(connection, now_us, int(policy.lease_s * _MICROS), batch)
    for delivery in claimed:
        _deliver(engine, policy, client, delivery)
    return len(claimed)


def _deliver(engine: Engine, policy: Policy, client: httpx.Client, delivery: RowMapping) -> None:
    attempt = delivery["attempts"] + 1
    status_code: int | None = None
    error: str | None = None
    try:
        # Connect to the address just checked, never to a second DNS answer (see ssrf.py).
        callback = check_callback(delivery["callback_url"], allow_private=policy.allow_private)
        response = client.post(
            callback.url,
            content=delivery["body"],
            extensions=callback.extensions,
            headers={
                "Host": callback.host_header,
                "Content-Type": "application/jose",
                "Idempotency-Key": delivery["idempotency_key"],
                "X-Ecolabel-Delivery-Attempt": str(attempt),
            },
            timeout=policy.timeout_s,
            follow_redirects=False,
        )
        status_code = response.status_code
        if not response.is_success:
            error = f"callback answered {status_code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    except ValidationFailed as exc:
        error = exc.detail
    now_us = clock.now_us()
    if error is None:
        values: dict[str, object] = {
            "state": "delivered",
            "attempts": attempt,
            "delivered_us": now_us,
            "last_error": None,
        }
    elif attempt >= policy.max_attempts:
        values = {"state": "parked", "attempts": attempt, "last_error": error}
    else:
        values = {"attempts": attempt, "next_attempt_us": now_us + policy.delay_us(attempt), "last_error": error}
    with write_connection(engine) as connection:
        repository.record_attempt(
            connection,
            delivery["id"],
            values,
            {"attempt": attempt, "at_us": now_us, "status_code": status_code, "error": error},
        )
    _log.info("delivery %s attempt %s: %s", delivery["id"], attempt, error or "delivered")


def delivery_client() -> httpx.Client:
    """An HTTP client for callbacks: no proxy from the environment (it would connect by name, not to
    the checked address), no redirects, and no kept-alive connections (a connection made for one
    host name must not carry a request for another name that resolves to the same address)."""
    return httpx.Client(trust_env=False, follow_redirects=False, limits=httpx.Limits(max_keepalive_connections=0))
