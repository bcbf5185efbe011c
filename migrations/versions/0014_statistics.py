"""Open-data statistics: certificate counts precomputed per checkpoint, refreshed as the log grows.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

Deploy notes: new tables only; safe while the previous release serves traffic. `statistics_state`
starts at tree size 0, so the first refresh (on the first statistics request, or `ecolabel-registry
statistics refresh`) reads every certificate once; later refreshes read only what the log added.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# RFC 9162 §2.1.1: the hash of an empty tree is the SHA-256 of the empty string.
_EMPTY_ROOT = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


def upgrade() -> None:
    state = op.create_table(
        "statistics_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("integrated_us", sa.BigInteger(), nullable=False),
        sa.Column("horizon_year", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(state, [{"id": 1, "tree_size": 0, "root_hash": _EMPTY_ROOT, "integrated_us": 0, "horizon_year": 0}])
    op.create_table(
        "statistics_daily",
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("dimension", "value", "status", "day"),
    )
    # Three resolutions, so that "as of D" reads at most one row per key and year, twelve per key and
    # month, and one month of days: the total at the end of the year before (dense per key up to the
    # horizon), the changes of the months before D's in its year, and the changes of D's month up to D.
    # Covering indexes: a figure reads a range of periods of one dimension and needs every column of
    # those rows, so the index alone answers it, without a lookup into the table per row (at 1M
    # certificates a month of one dimension is ~25,000 rows).
    op.create_index(
        "ix_statistics_daily_dimension_day", "statistics_daily", ["dimension", "day", "value", "status", "delta"]
    )
    op.create_table(
        "statistics_monthly",
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("dimension", "value", "status", "month"),
    )
    op.create_index(
        "ix_statistics_monthly_dimension_month",
        "statistics_monthly",
        ["dimension", "month", "value", "status", "delta"],
    )
    op.create_table(
        "statistics_yearly",
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("dimension", "value", "status", "year"),
    )
    op.create_index(
        "ix_statistics_yearly_dimension_year", "statistics_yearly", ["dimension", "year", "value", "status", "total"]
    )


def downgrade() -> None:
    op.drop_index("ix_statistics_yearly_dimension_year", table_name="statistics_yearly")
    op.drop_table("statistics_yearly")
    op.drop_index("ix_statistics_monthly_dimension_month", table_name="statistics_monthly")
    op.drop_table("statistics_monthly")
    op.drop_index("ix_statistics_daily_dimension_day", table_name="statistics_daily")
    op.drop_table("statistics_daily")
    op.drop_table("statistics_state")
