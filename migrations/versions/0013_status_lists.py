"""Slots of certificates in their programmes' Bitstring Status Lists (W3C Bitstring Status List v1.0).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

Deploy notes: a new table only; safe while the previous release serves traffic. Rows are written with
each accepted credential that carries `credentialStatus`; credentials logged before have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_list_entries",
        sa.Column("programme_id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("list_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("list_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("certificate_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"]),
        sa.ForeignKeyConstraint(["certificate_id"], ["certificates.id"]),
        sa.PrimaryKeyConstraint("programme_id", "purpose", "list_number", "list_index"),
    )
    op.create_index("ix_status_list_entries_certificate", "status_list_entries", ["certificate_id"])


def downgrade() -> None:
    op.drop_index("ix_status_list_entries_certificate", table_name="status_list_entries")
    op.drop_table("status_list_entries")
