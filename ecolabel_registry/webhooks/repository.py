"""Every webhook query, in SQLAlchemy Core. Claims use SKIP LOCKED on PostgreSQL so workers share work."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ecolabel_registry.db.models import DeliveryAttempt, OutboxDelivery, Subscriber, Subscription, WebhookCursor

subscriptions = Subscription.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
subscribers = Subscriber.__table__  # type: ignore[attr-defined]
cursor_table = WebhookCursor.__table__  # type: ignore[attr-defined]
outbox = OutboxDelivery.__table__  # type: ignore[attr-defined]
attempts = DeliveryAttempt.__table__  # type: ignore[attr-defined]


# --- subscriber credentials ------------------------------------------------------------------------


def insert_subscriber(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(insert(subscribers), [values])


def subscriber(connection: Connection, subscriber_id: str) -> RowMapping | None:
    return connection.execute(select(subscribers).where(subscribers.c.id == subscriber_id)).mappings().first()


def revoke_subscriber(connection: Connection, subscriber_id: str, revoked_us: int) -> None:
    connection.execute(update(subscribers).where(subscribers.c.id == subscriber_id).values(revoked_us=revoked_us))


# --- subscriptions -----------------------------------------------------------------------------------


def insert_subscription(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(insert(subscriptions), [values])


def get_subscription(connection: Connection, subscription_id: str) -> RowMapping | None:
    return connection.execute(select(subscriptions).where(subscriptions.c.id == subscription_id)).mappings().first()


def owned(connection: Connection, owner: str | None, after: str | None, limit: int) -> list[RowMapping]:
    """Subscriptions of `owner` (every owner's when None), by id."""
    query = select(subscriptions).order_by(subscriptions.c.id).limit(limit)
    if owner is not None:
        query = query.where(subscriptions.c.owner == owner)
    if after is not None:
        query = query.where(subscriptions.c.id > after)
    return list(connection.execute(query).mappings())


def active_count(connection: Connection, owner: str) -> int:
    query = (
        select(func.count())
        .select_from(subscriptions)
        .where(subscriptions.c.owner == owner, subscriptions.c.active.is_(True))
    )
    count: int = connection.execute(query).scalar_one()
    return count


def deactivate(connection: Connection, subscription_id: str) -> None:
    connection.execute(update(subscriptions).where(subscriptions.c.id == subscription_id).values(active=False))


def deactivate_owned(connection: Connection, owner: str) -> None:
    connection.execute(update(subscriptions).where(subscriptions.c.owner == owner).values(active=False))


def watching(connection: Connection, targets: Sequence[tuple[str, str]], leaf_index: int) -> list[RowMapping]:
    """Active subscriptions whose (watch, target) is one of `targets` and that watch this leaf."""
    conditions = [and_(subscriptions.c.watch == w, subscriptions.c.target == t) for w, t in targets]
    query = select(subscriptions.c.id).where(
        subscriptions.c.active.is_(True), subscriptions.c.from_leaf_index <= leaf_index, or_(*conditions)
    )
    return list(connection.execute(query.order_by(subscriptions.c.id)).mappings())


# --- the matching cursor -----------------------------------------------------------------------------


def read_cursor(connection: Connection) -> tuple[int, int]:
    """(next leaf index to match, version)."""
    row = connection.execute(select(cursor_table.c.next_leaf_index, cursor_table.c.version)).one()
    return row.next_leaf_index, row.version


def bump_cursor_version(connection: Connection) -> None:
    """Mark that a subscription is being created.

    The update holds the cursor row until commit, so subscriptions are created one at a time (their
    quota check is exact), and a matching pass that read the subscriptions before this one commits
    cannot move the cursor after it (see `advance_cursor`): it gives way and matches again."""
    connection.execute(update(cursor_table).values(version=cursor_table.c.version + 1))


def advance_cursor(connection: Connection, version: int, next_leaf_index: int) -> bool:
    """Move the cursor if nothing moved it, and no subscription was created, since `version` was read."""
    moved = connection.execute(
        update(cursor_table)
        .where(cursor_table.c.version == version)
        .values(next_leaf_index=next_leaf_index, version=version + 1)
    )
    return moved.rowcount == 1


# --- the outbox --------------------------------------------------------------------------------------


def enqueue(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert deliveries; one whose idempotency key is already queued is left as it is (never twice)."""
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(dialect.insert(outbox).on_conflict_do_nothing(index_elements=["idempotency_key"]), rows)


def claim(connection: Connection, now_us: int, lease_us: int, limit: int) -> list[RowMapping]:
    """Take up to `limit` due deliveries and lease them; a crashed worker's lease simply runs out."""
    due = (
        select(outbox.c.id)
        .where(
            outbox.c.state == "pending",
            outbox.c.next_attempt_us <= now_us,
            or_(outbox.c.lease_until_us.is_(None), outbox.c.lease_until_us < now_us),
        )
        .order_by(outbox.c.id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = [row.id for row in connection.execute(due)]
    if not ids:
        return []
    connection.execute(update(outbox).where(outbox.c.id.in_(ids)).values(lease_until_us=now_us + lease_us))
    query = select(outbox, subscriptions.c.callback_url).join(subscriptions).where(outbox.c.id.in_(ids))
    return list(connection.execute(query.order_by(outbox.c.id)).mappings())


def record_attempt(connection: Connection, delivery_id: int, values: dict[str, Any], attempt: dict[str, Any]) -> None:
    connection.execute(update(outbox).where(outbox.c.id == delivery_id).values(**values, lease_until_us=None))
    connection.execute(insert(attempts), [{"outbox_id": delivery_id, **attempt}])


def deliveries(connection: Connection, subscription_id: str, after: int | None, limit: int) -> list[RowMapping]:
    query = select(outbox).where(outbox.c.subscription_id == subscription_id).order_by(outbox.c.id).limit(limit)
    if after is not None:
        query = query.where(outbox.c.id > after)
    return list(connection.execute(query).mappings())


def attempts_of(connection: Connection, delivery_ids: Sequence[int]) -> dict[int, list[RowMapping]]:
    found: dict[int, list[RowMapping]] = {delivery_id: [] for delivery_id in delivery_ids}
    if delivery_ids:
        query = select(attempts).where(attempts.c.outbox_id.in_(delivery_ids)).order_by(attempts.c.id)
        for row in connection.execute(query).mappings():
            found[row["outbox_id"]].append(row)
    return found
