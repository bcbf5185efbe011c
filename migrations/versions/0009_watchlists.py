"""Watchlists get owners and quotas, subscriber credentials, and a matching cursor for the worker.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

Status events no longer write webhook deliveries in their own transaction: the worker matches new log
entries against subscriptions after the commit, and `webhook_cursor` remembers how far it has matched.
The cursor starts at the current end of the log, since deliveries for every event logged so far were
already queued by the previous release.

Deploy notes: new tables and two columns with defaults for existing rows; safe while the previous
release serves traffic. A status event that a previous-release process accepts after this migration
is queued by that process and matched again by the new worker: both deliveries carry the same
Idempotency-Key and the outbox keeps only the first. Existing subscriptions belong to the operator
(they were made anonymously) and watch from the start of the log.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("revoked_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "webhook_cursor",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        "INSERT INTO webhook_cursor (id, next_leaf_index, version) "
        "SELECT 1, COALESCE(MAX(leaf_index) + 1, 0), 0 FROM log_entries"
    )
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=64), nullable=False, server_default="operator"))
        batch.add_column(sa.Column("from_leaf_index", sa.BigInteger(), nullable=False, server_default="0"))
        batch.create_index("ix_subscriptions_owner", ["owner", "id"], unique=False)
    # The defaults only fill the existing rows: every new subscription names its owner explicitly.
    with op.batch_alter_table("subscriptions") as batch:
        batch.alter_column("owner", server_default=None)
        batch.alter_column("from_leaf_index", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_index("ix_subscriptions_owner")
        batch.drop_column("from_leaf_index")
        batch.drop_column("owner")
    op.drop_table("webhook_cursor")
    op.drop_table("subscribers")
