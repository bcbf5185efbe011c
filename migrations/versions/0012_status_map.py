"""The status map: a sparse Merkle tree from certificate id to its status-chain head.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

Deploy notes: new tables only; safe while the previous release serves traffic. They start empty and
the map off; `ecolabel-registry status-map enable` builds it from the certificate tables and from then
on the registry logs its root (docs/VERIFIABLE-MAP.md §3 defines the tree, §4.2 the leaf, §6 the rows).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One row per subtree holding two entries or more, and one per entry at the depth its leaf
    # collapsed to; `position` is (1 << depth) | path prefix, big-endian in its fewest bytes.
    op.create_table(
        "status_map_nodes",
        sa.Column("position", sa.LargeBinary(length=33), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("leaf_key", sa.LargeBinary(length=32), nullable=True),
        sa.Column("value_sha256", sa.LargeBinary(length=32), nullable=True),
        sa.PrimaryKeyConstraint("position"),
    )
    op.create_table(
        "status_map_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("log_size", sa.BigInteger(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # Off until `ecolabel-registry status-map enable`: turning it on adds a leaf to every transaction
    # that logs a certificate or a status event, which clients counting leaves should expect.
    op.execute("INSERT INTO status_map_state (id, entries, log_size, enabled) VALUES (1, 0, 0, false)")


def downgrade() -> None:
    op.drop_table("status_map_state")
    op.drop_table("status_map_nodes")
