"""An index of log leaves by kind, for the newest leaf of each kind that recognition answers depend on.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

`ecolabel_registry.recognition.compiled` keys its per-process compiled agreement graph by the highest
leaf index of each kind of document that can change it; with this index each of those is one short
backward index scan, however many certificates the log holds. Deploy notes: one new index on
`log_entries`; building it reads the table once (seconds per million leaves) and is safe while the
previous release serves traffic, which never reads it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_log_entries_kind_leaf", "log_entries", ["kind", "leaf_index"])


def downgrade() -> None:
    op.drop_index("ix_log_entries_kind_leaf", table_name="log_entries")
