"""Matching: newly logged status events become signed deliveries, after the events' own commits.

A status event's transaction logs the event and nothing else, so subscribers never slow a write and
never hold the log lock. The worker then reads the events logged since its cursor, finds the active
subscriptions watching each one (its certificate, its programme, or one of its holder's identifiers,
and created before the worker reached it), signs one notification per pair with the registry's key,
and in one short transaction moves the cursor and writes the outbox rows:

- a crash before that commit leaves both as they were, so the next pass makes the same deliveries;
- a crash after it leaves both moved, so nothing is matched twice;
- the idempotency key of a delivery is SHA-256("<subscription id>:<leaf index>"), and the outbox keeps
  one row per key, so even two passes over one leaf queue a delivery once;
- the cursor only moves if its `version` is what this pass read: another worker that moved it first,
  or a subscription created meanwhile, makes this pass give way and start again.

Appends are ordered by the log lock and commit in leaf order, so every leaf below the tree size read
in one snapshot is committed, and the cursor never passes a leaf that is still to come.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, RowMapping

from ecolabel_registry import clock
from ecolabel_registry.certificates import repository as certificates
from ecolabel_registry.certificates.lookup import event_out, lifecycle_of
from ecolabel_registry.db.engine import read_snapshot, write_connection
from ecolabel_registry.log import repository as log_repository
from ecolabel_registry.log import service as log
from ecolabel_registry.settings import Settings
from ecolabel_registry.signing_key import load_signing_key
from ecolabel_registry.webhooks import repository
from ecolabel_registry.webhooks.schemas import Watch
from verification.canonical import dumps_canonical
from verification.jwk import PublicKey
from verification.jws import sign_compact
from verification.leaf import from_microseconds
from verification.status import status_as_of

NOTIFICATION_TYP = "ecolabel-notification+jwt"
# Bounds on one pass, so that its one write transaction stays short; the next pass goes on from there.
# An event's deliveries are never split between passes (the cursor counts leaves), so one event with
# N watchers is one insert of N rows: about 0.1 s for 5,000 on SQLite (outside the log lock; on
# PostgreSQL it blocks no other write).
MAX_EVENTS_PER_PASS = 100
MAX_DELIVERIES_PER_PASS = 1_000


@dataclass(frozen=True)
class Notifier:
    """Signs notifications with the registry's key, as the API processes sign checkpoints and decisions."""

    key: Ed25519PrivateKey
    kid: str
    issuer: str  # the log origin, as in the notification's `issuer`

    @classmethod
    def from_settings(cls, settings: Settings) -> Notifier:
        key = load_signing_key(settings.signing_key_path)
        return cls(key, PublicKey.from_private_key(key).kid, settings.log_origin)

    def sign(self, payload: dict[str, Any]) -> str:
        return sign_compact(dumps_canonical(payload), self.key, self.kid, NOTIFICATION_TYP)


def match_new_events(
    engine: Engine,
    notifier: Notifier,
    *,
    max_events: int = MAX_EVENTS_PER_PASS,
    max_deliveries: int = MAX_DELIVERIES_PER_PASS,
) -> int:
    """Queue the deliveries of events logged since the cursor; return how many were queued.

    Reading and signing happen outside any write lock; only the cursor move and the inserts do not.
    Returns 0 when nothing new was logged, or when the cursor moved under this pass (retry later).
    """
    now_us = clock.now_us()
    with read_snapshot(engine) as connection:
        start, version = repository.read_cursor(connection)
        end = log_repository.read_head(connection).tree_size
        if end <= start:
            return 0
        events = certificates.events_logged(connection, start, end, max_events)
        moved_to = end if len(events) < max_events else events[-1]["leaf_index"] + 1
        rows: list[dict[str, Any]] = []
        for event in events:
            rows += _deliveries_for(connection, notifier, event, now_us)
            if len(rows) >= max_deliveries:
                moved_to = event["leaf_index"] + 1
                break
    with write_connection(engine) as connection:
        if not repository.advance_cursor(connection, version, moved_to):
            return 0
        repository.enqueue(connection, rows)
    return len(rows)


def _deliveries_for(connection: Connection, notifier: Notifier, event: RowMapping, now_us: int) -> list[dict[str, Any]]:
    certificate_id, leaf_index = event["certificate_id"], event["leaf_index"]
    certificate = certificates.get(connection, certificate_id)
    if certificate is None:  # unreachable: an event row references its certificate
        return []
    holders = [row["value"] for row in certificates.holder_ids_of(connection, [certificate_id])[certificate_id]]
    targets = [(Watch.CERTIFICATE.value, certificate_id), (Watch.PROGRAMME.value, certificate["programme_id"])]
    targets += [(Watch.HOLDER.value, value) for value in holders]
    watchers = repository.watching(connection, targets, leaf_index)
    if not watchers:
        return []
    # The status right after this event, as its submitter was told: later events are not counted.
    history = certificates.events_of(connection, [certificate_id])[certificate_id]
    lifecycle = lifecycle_of(certificate, [row for row in history if row["sequence"] <= event["sequence"]])
    status_now = status_as_of(lifecycle, at=from_microseconds(event["integrated_us"])).status
    notice = {
        "type": "CertificateStatusNotification",
        "issuer": notifier.issuer,
        "certificate": certificate_id,
        "programme": certificate["programme_id"],
        "licenceNumber": certificate["licence_number"],
        "event": event_out(event).model_dump(),
        "statusNow": status_now.value,
        "receipt": log.receipt_for(connection, leaf_index).to_dict(),
    }
    rows = []
    for watcher in watchers:
        key = hashlib.sha256(f"{watcher['id']}:{leaf_index}".encode()).hexdigest()
        rows.append(
            {
                "subscription_id": watcher["id"],
                "idempotency_key": key,
                "event_leaf_index": leaf_index,
                "body": notifier.sign({**notice, "subscription": watcher["id"], "idempotencyKey": key}),
                "state": "pending",
                "attempts": 0,
                "next_attempt_us": now_us,
                "created_us": now_us,
            }
        )
    return rows
