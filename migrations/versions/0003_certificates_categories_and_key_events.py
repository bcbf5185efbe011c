"""Stored checkpoints; certificates with their products, holder identifiers and status events; categories; key events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Deploy notes: new tables and indexes only; safe while the previous release serves traffic.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "log_checkpoints",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size"),
    )
    op.create_table(
        "categories",
        sa.Column("programme_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("criteria_version", sa.String(length=64), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("criteria_id", sa.String(length=100), nullable=False),
        sa.Column("valid_from_us", sa.BigInteger(), nullable=False),
        sa.Column("valid_until_us", sa.BigInteger(), nullable=True),
        sa.Column("transition_end_us", sa.BigInteger(), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["log_entries.leaf_index"],
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
        ),
        sa.PrimaryKeyConstraint("programme_id", "code", "criteria_version"),
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("programme_id", sa.String(length=64), nullable=False),
        sa.Column("licence_number", sa.String(length=64), nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.Column("criteria_version", sa.String(length=64), nullable=False),
        sa.Column("holder_name", sa.String(length=500), nullable=False),
        sa.Column("holder_country", sa.String(length=2), nullable=False),
        sa.Column("valid_from_us", sa.BigInteger(), nullable=False),
        sa.Column("valid_until_us", sa.BigInteger(), nullable=False),
        sa.Column("signing_kid", sa.String(length=128), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("integrated_us", sa.BigInteger(), nullable=False),
        sa.Column("supersedes", sa.String(length=64), nullable=True),
        sa.Column("superseded_by", sa.String(length=64), nullable=True),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("last_event_sha256", sa.String(length=64), nullable=True),
        sa.Column("lifecycle", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["log_entries.leaf_index"],
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supersedes"],
            ["certificates.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("leaf_index"),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index("ix_certificates_programme_category", ["programme_id", "category_code"], unique=False)
        batch_op.create_index("ix_certificates_programme_licence", ["programme_id", "licence_number"], unique=False)

    op.create_table(
        "key_events",
        sa.Column("programme_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("kid", sa.String(length=128), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["log_entries.leaf_index"],
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
        ),
        sa.PrimaryKeyConstraint("programme_id", "sequence"),
    )
    op.create_table(
        "category_codes",
        sa.Column("programme_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("criteria_version", sa.String(length=64), nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id", "code", "criteria_version"],
            ["categories.programme_id", "categories.code", "categories.criteria_version"],
        ),
        sa.PrimaryKeyConstraint("programme_id", "code", "criteria_version", "scheme", "value"),
    )
    with op.batch_alter_table("category_codes", schema=None) as batch_op:
        batch_op.create_index("ix_category_codes_scheme_value", ["scheme", "value"], unique=False)

    op.create_table(
        "certificate_events",
        sa.Column("certificate_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("effective_us", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("valid_until_us", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signing_kid", sa.String(length=128), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("integrated_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
        ),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["log_entries.leaf_index"],
        ),
        sa.PrimaryKeyConstraint("certificate_id", "sequence"),
        sa.UniqueConstraint("leaf_index"),
    )
    op.create_table(
        "certificate_holder_ids",
        sa.Column("certificate_id", sa.String(length=64), nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
        ),
        sa.PrimaryKeyConstraint("certificate_id", "scheme", "value"),
    )
    with op.batch_alter_table("certificate_holder_ids", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_holder_ids_value", ["value", "scheme"], unique=False)

    op.create_table(
        "certificate_products",
        sa.Column("certificate_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("brand", sa.String(length=500), nullable=True),
        sa.Column("model", sa.String(length=101), nullable=True),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
        ),
        sa.PrimaryKeyConstraint("certificate_id", "position"),
    )
    with op.batch_alter_table("certificate_products", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_products_gtin", ["gtin"], unique=False)


def downgrade() -> None:
    op.drop_table("log_checkpoints")
    with op.batch_alter_table("certificate_products", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_products_gtin")

    op.drop_table("certificate_products")
    with op.batch_alter_table("certificate_holder_ids", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_holder_ids_value")

    op.drop_table("certificate_holder_ids")
    op.drop_table("certificate_events")
    with op.batch_alter_table("category_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_category_codes_scheme_value")

    op.drop_table("category_codes")
    op.drop_table("key_events")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index("ix_certificates_programme_licence")
        batch_op.drop_index("ix_certificates_programme_category")

    op.drop_table("certificates")
    op.drop_table("categories")
