"""Subscriptions, and turning a status change into signed deliveries in the same transaction."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from sqlalchemy import Connection, RowMapping

from ecolabel_registry.context import RegistryContext
from ecolabel_registry.errors import NotFound
from ecolabel_registry.verify.decisions import registry_kid
from ecolabel_registry.webhooks import repository
from ecolabel_registry.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    NewSubscription,
    SubscriptionOut,
    Watch,
)
from ecolabel_registry.webhooks.ssrf import check_callback
from verification.canonical import dumps_canonical
from verification.jws import sign_compact
from verification.leaf import format_log_time

NOTIFICATION_TYP = "ecolabel-notification+jwt"


def subscribe(connection: Connection, context: RegistryContext, request: NewSubscription) -> SubscriptionOut:
    url = str(request.callback_url)
    check_callback(url, allow_private=context.settings.webhook_allow_private)
    values = {
        "id": secrets.token_hex(16),
        "callback_url": url,
        "watch": request.watch.value,
        "target": request.target,
        "created_us": time.time_ns() // 1000,
        "active": True,
    }
    repository.insert_subscription(connection, values)
    return _subscription_out(values)


def get(connection: Connection, subscription_id: str) -> SubscriptionOut:
    row = repository.get_subscription(connection, subscription_id)
    if row is None:
        raise NotFound("no such subscription")
    return _subscription_out(row)


def unsubscribe(connection: Connection, subscription_id: str) -> None:
    get(connection, subscription_id)
    repository.deactivate(connection, subscription_id)


def enqueue_status_change(
    connection: Connection,
    context: RegistryContext,
    *,
    certificate: RowMapping,
    holder_values: list[str],
    notice: dict[str, Any],
    leaf_index: int,
) -> int:
    """Queue one signed delivery per watching subscription; runs in the status event's transaction."""
    targets = [(Watch.CERTIFICATE.value, certificate["id"]), (Watch.PROGRAMME.value, certificate["programme_id"])]
    targets += [(Watch.HOLDER.value, value) for value in holder_values]
    now_us = time.time_ns() // 1000
    rows = []
    for subscription in repository.watching(connection, targets):
        key = hashlib.sha256(f"{subscription['id']}:{leaf_index}".encode()).hexdigest()
        payload = {**notice, "subscription": subscription["id"], "idempotencyKey": key}
        body = sign_compact(dumps_canonical(payload), context.signing_key, registry_kid(context), NOTIFICATION_TYP)
        rows.append(
            {
                "subscription_id": subscription["id"],
                "idempotency_key": key,
                "event_leaf_index": leaf_index,
                "body": body,
                "state": "pending",
                "attempts": 0,
                "next_attempt_us": now_us,
                "created_us": now_us,
            }
        )
    repository.enqueue(connection, rows)
    return len(rows)


def deliveries(
    connection: Connection, subscription_id: str, after: int | None, limit: int
) -> tuple[list[DeliveryOut], int | None]:
    get(connection, subscription_id)
    rows = repository.deliveries(connection, subscription_id, after, limit + 1)
    page = rows[:limit]
    attempts = repository.attempts_of(connection, [row["id"] for row in page])
    items = [
        DeliveryOut(
            id=row["id"],
            idempotency_key=row["idempotency_key"],
            event_leaf_index=row["event_leaf_index"],
            state=row["state"],
            attempts=[
                AttemptOut(
                    attempt=a["attempt"], at=format_log_time(a["at_us"]), status_code=a["status_code"], error=a["error"]
                )
                for a in attempts[row["id"]]
            ],
            next_attempt_at=format_log_time(row["next_attempt_us"]) if row["state"] == "pending" else None,
            delivered_at=format_log_time(row["delivered_us"]) if row["delivered_us"] is not None else None,
            body=row["body"],
        )
        for row in page
    ]
    return items, (page[-1]["id"] if len(rows) > limit else None)


def _subscription_out(row: Any) -> SubscriptionOut:
    return SubscriptionOut(
        id=row["id"],
        callback_url=row["callback_url"],
        watch=Watch(row["watch"]),
        target=row["target"],
        created_at=format_log_time(row["created_us"]),
        active=row["active"],
    )
