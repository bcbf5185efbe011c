"""Witness cosignatures of the registry's checkpoints, by tree size (C2SP tlog-cosignature).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26

Deploy notes: a new table only; safe while the previous release serves traffic. Rows are written by
the worker, which submits each new checkpoint to the configured witnesses (ECOLABEL_WITNESSES).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "log_cosignatures",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("key_name", sa.String(length=256), nullable=False),
        sa.Column("key_id", sa.LargeBinary(length=4), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["tree_size"], ["log_checkpoints.tree_size"]),
        sa.PrimaryKeyConstraint("tree_size", "key_name", "key_id"),
    )
    # The worker asks, on every poll, for the largest size each witness cosigned; the API for the largest
    # size any configured witness cosigned: both are one index probe per witness.
    op.create_index("ix_log_cosignatures_witness", "log_cosignatures", ["key_name", "key_id", "tree_size"])


def downgrade() -> None:
    op.drop_index("ix_log_cosignatures_witness", table_name="log_cosignatures")
    op.drop_table("log_cosignatures")
