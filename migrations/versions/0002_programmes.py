"""Programmes and their keys (the trust roots the operator registers).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

Deploy notes: new tables only; safe while the previous release serves traffic.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("website", sa.String(length=2048), nullable=True),
        sa.Column("gen_member", sa.Boolean(), nullable=False),
        sa.Column("accreditation_notes", sa.Text(), nullable=True),
        sa.Column("registered_leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("registered_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["registered_leaf_index"], ["log_entries.leaf_index"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("registered_leaf_index"),
    )
    op.create_table(
        "programme_keys",
        sa.Column("programme_id", sa.String(length=64), nullable=False),
        sa.Column("kid", sa.String(length=128), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("added_us", sa.BigInteger(), nullable=False),
        sa.Column("added_leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("ended_us", sa.BigInteger(), nullable=True),
        sa.Column("compromised_since_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["added_leaf_index"], ["log_entries.leaf_index"]),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"]),
        sa.PrimaryKeyConstraint("programme_id", "kid"),
    )


def downgrade() -> None:
    op.drop_table("programme_keys")
    op.drop_table("programmes")
