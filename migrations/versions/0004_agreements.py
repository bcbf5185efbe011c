"""Mutual-recognition agreements: their parties and signatures, and their signed events.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Deploy notes: new tables and one index only; safe while the previous release serves traffic.
Branches from 0003 beside the other 0003 children; `upgrade heads` applies every branch.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("issuer_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("agreement_type", sa.String(length=32), nullable=False),
        sa.Column("effective_from_us", sa.BigInteger(), nullable=False),
        sa.Column("effective_until_us", sa.BigInteger(), nullable=True),
        sa.Column("onward_recognition", sa.Boolean(), nullable=False),
        sa.Column("signing_kid", sa.String(length=128), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("integrated_us", sa.BigInteger(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("last_event_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["issuer_id"], ["programmes.id"]),
        sa.ForeignKeyConstraint(["leaf_index"], ["log_entries.leaf_index"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("leaf_index"),
    )
    op.create_table(
        "agreement_parties",
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("programme_id", sa.String(length=64), nullable=False),
        sa.Column("signed_us", sa.BigInteger(), nullable=True),
        sa.Column("signing_kid", sa.String(length=128), nullable=True),
        sa.Column("signature_sha256", sa.String(length=64), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"]),
        sa.ForeignKeyConstraint(["leaf_index"], ["log_entries.leaf_index"]),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"]),
        sa.PrimaryKeyConstraint("agreement_id", "programme_id"),
    )
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.create_index("ix_agreement_parties_programme", ["programme_id", "agreement_id"], unique=False)

    op.create_table(
        "agreement_events",
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("effective_us", sa.BigInteger(), nullable=False),
        sa.Column("effective_until_us", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("issuer_id", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signing_kid", sa.String(length=128), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("integrated_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"]),
        sa.ForeignKeyConstraint(["issuer_id"], ["programmes.id"]),
        sa.ForeignKeyConstraint(["leaf_index"], ["log_entries.leaf_index"]),
        sa.PrimaryKeyConstraint("agreement_id", "sequence"),
        sa.UniqueConstraint("leaf_index"),
    )


def downgrade() -> None:
    op.drop_table("agreement_events")
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_agreement_parties_programme")

    op.drop_table("agreement_parties")
    op.drop_table("agreements")
