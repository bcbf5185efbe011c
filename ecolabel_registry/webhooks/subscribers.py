"""Subscriber credentials: how a party that is not an organisation of the registry owns watchlists.

A buyer's procurement system or a monitoring service watches certificates without holding a supply
chain. The operator issues it a credential `els_<id>_<secret>` (shown once; only the SHA-256 of the
256-bit secret is stored and compared in constant time) and can revoke it, which also ends every
subscription it owns. Organisations use their own tokens (`elr_…`) instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from ecolabel_registry.clock import now_us
from ecolabel_registry.errors import NotFound, Unauthorized
from ecolabel_registry.webhooks import repository
from ecolabel_registry.webhooks.schemas import SubscriberOut
from verification.leaf import format_log_time

SUBSCRIBER_PREFIX = "els"  # a public prefix that makes leaked credentials easy to scan for
# Compared against when the id is unknown, so that an unknown id takes as long as a wrong secret.
_NO_SUCH_SUBSCRIBER = hashlib.sha256(b"no such subscriber").digest()


# The owner key of whatever the operator (admin token) creates; subscribers and organisations have their own.
OPERATOR_KEY = "operator"


def owner_key(subscriber_id: str) -> str:
    return f"subscriber:{subscriber_id}"


def issue(connection: Connection, name: str) -> tuple[str, SubscriberOut]:
    """A new subscriber and its credential (operator only: checked by the endpoint)."""
    subscriber_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    row = {
        "id": subscriber_id,
        "name": name,
        "secret_sha256": hashlib.sha256(secret.encode()).digest(),
        "created_us": now_us(),
        "revoked_us": None,
    }
    repository.insert_subscriber(connection, row)
    return f"{SUBSCRIBER_PREFIX}_{subscriber_id}_{secret}", _out(row)


def revoke(connection: Connection, subscriber_id: str) -> None:
    """Revoke the credential at once and end the subscriptions it owns (queued deliveries are still made)."""
    row = repository.subscriber(connection, subscriber_id)
    if row is None:
        raise NotFound(f"no subscriber {subscriber_id}")
    if row["revoked_us"] is None:
        repository.revoke_subscriber(connection, subscriber_id, now_us())
    repository.deactivate_owned(connection, owner_key(subscriber_id))


def authenticate(connection: Connection, presented: str) -> str:
    """The subscriber id a credential stands for; `Unauthorized` when it is wrong or revoked."""
    prefix, _, rest = presented.partition("_")
    subscriber_id, _, secret = rest.partition("_")
    row = (
        repository.subscriber(connection, subscriber_id)
        if prefix == SUBSCRIBER_PREFIX and len(subscriber_id) == 16
        else None
    )
    expected = bytes(row["secret_sha256"]) if row is not None else _NO_SUCH_SUBSCRIBER
    matches = hmac.compare_digest(hashlib.sha256(secret.encode()).digest(), expected)
    if row is None or not matches:
        raise Unauthorized("the subscriber credential is not valid", code="TOKEN_INVALID")
    if row["revoked_us"] is not None:
        raise Unauthorized("the subscriber credential was revoked", code="TOKEN_REVOKED")
    return subscriber_id


def _out(row: Mapping[Any, Any]) -> SubscriberOut:
    revoked = row["revoked_us"]
    return SubscriberOut(
        id=row["id"],
        name=row["name"],
        created_at=format_log_time(row["created_us"]),
        revoked_at=format_log_time(revoked) if revoked is not None else None,
    )
