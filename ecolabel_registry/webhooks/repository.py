"""Every webhook query, in SQLAlchemy Core. Claims use SKIP LOCKED on PostgreSQL so workers share work."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, insert, or_, select, update

from ecolabel_registry.db.models import DeliveryAttempt, OutboxDelivery, Subscription

subscriptions = Subscription.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
outbox = OutboxDelivery.__table__  # type: ignore[attr-defined]
attempts = DeliveryAttempt.__table__  # type: ignore[attr-defined]


def insert_subscription(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(insert(subscriptions), [values])


def get_subscription(connection: Connection, subscription_id: str) -> RowMapping | None:
    return connection.execute(select(subscriptions).where(subscriptions.c.id == subscription_id)).mappings().first()


def deactivate(connection: Connection, subscription_id: str) -> None:
    connection.execute(update(subscriptions).where(subscriptions.c.id == subscription_id).values(active=False))


def watching(connection: Connection, targets: Sequence[tuple[str, str]]) -> list[RowMapping]:
    """Active subscriptions whose (watch, target) is one of `targets`."""
    conditions = [and_(subscriptions.c.watch == w, subscriptions.c.target == t) for w, t in targets]
    query = select(subscriptions).where(subscriptions.c.active.is_(True), or_(*conditions)).order_by(subscriptions.c.id)
    return list(connection.execute(query).mappings())


def enqueue(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(insert(outbox), rows)


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


def pending_count(connection: Connection) -> int:
    count: int = connection.execute(
        select(func.count()).select_from(outbox).where(outbox.c.state == "pending")
    ).scalar_one()
    return count
