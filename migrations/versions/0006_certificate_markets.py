"""Certificates remember the markets their credential names, for procurement checks.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24

Deploy notes: adds a column with a server default; safe while the previous release serves traffic.
Existing rows get an empty list (markets unknown).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("markets", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("markets")
