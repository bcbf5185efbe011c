"""The state of the check of the tables against the log (`ecolabel-registry fsck`): one row.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

Deploy notes: a new table only, empty until the first check; safe while the previous release serves
traffic (it never reads the table).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "integrity_checks",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("verified_tree_size", sa.BigInteger(), nullable=False),
        sa.Column("checked_us", sa.BigInteger(), nullable=False),
        sa.Column("divergence", sa.JSON(), nullable=True),
        sa.Column("diverged_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("integrity_checks")
