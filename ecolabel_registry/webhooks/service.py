"""Watchlists as their owners see them: subscribe, list, read deliveries, stop watching.

Every subscription has an owner, the caller that created it (`ecolabel_registry.identity`): the
operator, an organisation (any of its tokens) or a subscriber (its credential). Only the owner and the
operator may see a subscription or its deliveries, or end it; to anyone else it does not exist (404),
so ids cannot be probed. Each owner holds at most `webhook_max_subscriptions_per_owner` active ones.

Nothing here runs when a status event is logged: the worker matches new log entries against
subscriptions after the event's commit (`ecolabel_registry.webhooks.matching`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, RowMapping

from ecolabel_registry.clock import now_us
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.errors import NotFound, QuotaExceeded
from ecolabel_registry.log import repository as log_repository
from ecolabel_registry.webhooks import repository
from ecolabel_registry.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    NewSubscription,
    SubscriptionOut,
    Watch,
)
from ecolabel_registry.webhooks.ssrf import check_callback
from ecolabel_registry.webhooks.subscribers import OPERATOR_KEY
from verification.leaf import format_log_time


def subscribe(
    connection: Connection, context: RegistryContext, owner: str, request: NewSubscription
) -> SubscriptionOut:
    url = str(request.callback_url)
    check_callback(url, allow_private=context.settings.webhook_allow_private)
    # First, so that subscriptions are created one at a time: the quota below is exact, and a
    # matching pass running now cannot commit without seeing this subscription.
    repository.bump_cursor_version(connection)
    quota = context.settings.webhook_max_subscriptions_per_owner
    if repository.active_count(connection, owner) >= quota:
        raise QuotaExceeded(
            f"{owner} already has {quota} active subscriptions; delete one first",
            code="SUBSCRIPTION_QUOTA",
            quota=quota,
        )
    values = {
        "id": secrets.token_hex(16),
        "owner": owner,
        "callback_url": url,
        "watch": request.watch.value,
        "target": request.target,
        "created_us": now_us(),
        # Events logged from now on. Read after the bump: a pass that committed before it never
        # went past this size, and one that commits after it sees this subscription.
        "from_leaf_index": log_repository.read_head(connection).tree_size,
        "active": True,
    }
    repository.insert_subscription(connection, values)
    return _subscription_out(values)


def get(connection: Connection, caller: str, subscription_id: str) -> SubscriptionOut:
    return _subscription_out(_owned_row(connection, caller, subscription_id))


def owned(
    connection: Connection, caller: str, after: str | None, limit: int
) -> tuple[list[SubscriptionOut], str | None]:
    """The caller's subscriptions (every one, for the operator), by id."""
    rows = repository.owned(connection, None if caller == OPERATOR_KEY else caller, after, limit + 1)
    page = rows[:limit]
    return [_subscription_out(row) for row in page], (page[-1]["id"] if len(rows) > limit else None)


def unsubscribe(connection: Connection, caller: str, subscription_id: str) -> None:
    _owned_row(connection, caller, subscription_id)
    repository.deactivate(connection, subscription_id)


def deliveries(
    connection: Connection, caller: str, subscription_id: str, after: int | None, limit: int
) -> tuple[list[DeliveryOut], int | None]:
    _owned_row(connection, caller, subscription_id)
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


def _owned_row(connection: Connection, caller: str, subscription_id: str) -> RowMapping:
    """The subscription if the caller owns it or is the operator; to anyone else it does not exist."""
    row = repository.get_subscription(connection, subscription_id)
    if row is None or (caller != OPERATOR_KEY and row["owner"] != caller):
        raise NotFound("no such subscription")
    return row


def _subscription_out(row: Mapping[Any, Any]) -> SubscriptionOut:
    return SubscriptionOut(
        id=row["id"],
        owner=row["owner"],
        callback_url=row["callback_url"],
        watch=Watch(row["watch"]),
        target=row["target"],
        created_at=format_log_time(row["created_us"]),
        active=row["active"],
    )
