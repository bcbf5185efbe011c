"""Root keys with a threshold, and proposals that wait for approvals (key events, widening agreement events).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

Deploy notes: adds columns with server defaults and two tables; safe while the previous release serves
traffic, but stop it before the new release accepts key events (the old code would let signing keys
sign them). Existing programmes were registered before roots existed: their registered keys become
both root and signing keys (threshold 1), exactly as replaying their registration documents from the
log gives (verification.keys.KeyRing.registered); keys added later by key events are signing keys.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("programmes") as batch:
        batch.add_column(sa.Column("root_threshold", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("programme_keys") as batch:
        batch.add_column(sa.Column("root", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("signing", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute(
        "UPDATE programme_keys SET root = TRUE WHERE added_leaf_index = "
        "(SELECT registered_leaf_index FROM programmes WHERE programmes.id = programme_keys.programme_id)"
    )
    with op.batch_alter_table("key_events") as batch:
        batch.alter_column("kid", existing_type=sa.String(128), nullable=True)
    op.create_table(
        "proposed_events",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), sa.ForeignKey("log_entries.leaf_index"), nullable=False, unique=True),
        sa.Column("integrated_us", sa.BigInteger(), nullable=False),
        sa.Column("applied_us", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_proposed_events_subject", "proposed_events", ["kind", "subject", "sequence"])
    op.create_table(
        "proposal_approvals",
        sa.Column("proposal_sha256", sa.String(64), sa.ForeignKey("proposed_events.sha256"), primary_key=True),
        sa.Column("signer", sa.String(128), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), sa.ForeignKey("log_entries.leaf_index"), nullable=True, unique=True),
        sa.Column("signed_us", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("proposal_approvals")
    op.drop_index("ix_proposed_events_subject", table_name="proposed_events")
    op.drop_table("proposed_events")
    with op.batch_alter_table("key_events") as batch:
        batch.alter_column("kid", existing_type=sa.String(128), nullable=False)
    with op.batch_alter_table("programme_keys") as batch:
        batch.drop_column("signing")
        batch.drop_column("root")
    with op.batch_alter_table("programmes") as batch:
        batch.drop_column("root_threshold")
