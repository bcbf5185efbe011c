"""Webhook subscribers, subscriptions, the matching cursor, the outbox and delivery attempts."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlmodel import Field, SQLModel


class Subscriber(SQLModel, table=True):
    """A subscriber credential the operator issued (`els_<id>_<secret>`): only the SHA-256 of the secret."""

    __tablename__ = "subscribers"

    id: str = Field(sa_column=Column(String(16), primary_key=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    secret_sha256: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    created_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    revoked_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class Subscription(SQLModel, table=True):
    """A watchlist entry: status changes of a certificate, a holder's certificates, or a programme's.

    `owner` is who created it (`operator`, `organisation:<id>` or `subscriber:<id>`): only the owner and
    the operator may read or end it. It watches events logged from `from_leaf_index` on.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (
        Index("ix_subscriptions_watch_target", "watch", "target"),
        Index("ix_subscriptions_owner", "owner", "id"),
    )

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    owner: str = Field(sa_column=Column(String(64), nullable=False))
    callback_url: str = Field(sa_column=Column(String(2048), nullable=False))
    watch: str = Field(sa_column=Column(String(16), nullable=False))
    target: str = Field(sa_column=Column(String(128), nullable=False))
    created_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    from_leaf_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    active: bool = Field(sa_column=Column(Boolean, nullable=False))


class WebhookCursor(SQLModel, table=True):
    """How far the worker has matched the log against subscriptions: one row.

    Moved in the same transaction as the outbox rows it stands for, so that a crash can neither drop
    a delivery (cursor ahead of its rows) nor make one twice (rows without the cursor). `version` goes
    up with every move and every new subscription: a matching pass commits only if it is unchanged
    since the pass read it, so no pass can skip a subscription created while it ran.
    """

    __tablename__ = "webhook_cursor"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    next_leaf_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    version: int = Field(sa_column=Column(BigInteger, nullable=False))


class OutboxDelivery(SQLModel, table=True):
    """A webhook to deliver, written by the worker's matching step together with its cursor (never lost)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_us"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    subscription_id: str = Field(sa_column=Column(String(32), ForeignKey("subscriptions.id"), nullable=False))
    idempotency_key: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    event_leaf_index: int = Field(sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    attempts: int = Field(sa_column=Column(Integer, nullable=False))
    next_attempt_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    lease_until_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    delivered_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class DeliveryAttempt(SQLModel, table=True):
    __tablename__ = "delivery_attempts"

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    outbox_id: int = Field(sa_column=Column(BigInteger, ForeignKey("outbox.id"), nullable=False, index=True))
    attempt: int = Field(sa_column=Column(Integer, nullable=False))
    at_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    status_code: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
