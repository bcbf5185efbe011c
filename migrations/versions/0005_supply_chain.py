"""Supply chain: organisations with identifiers, facilities, products, supply links and their events,
organisation tokens, auditor grants, and who may read each logged supply-chain document.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

Deploy notes: new tables and indexes only; safe while the previous release serves traffic. Branches from
0003 beside another revision of the same parent; `upgrade heads` applies both (the lead re-chains them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("recorded_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["log_entries.leaf_index"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("leaf_index"),
    )
    op.create_table(
        "auditor_grants",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("auditor_id", sa.String(length=36), nullable=False),
        sa.Column("valid_from_us", sa.BigInteger(), nullable=False),
        sa.Column("valid_until_us", sa.BigInteger(), nullable=False),
        sa.Column("revoked_us", sa.BigInteger(), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["auditor_id"],
            ["organisations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["log_entries.leaf_index"],
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("leaf_index"),
    )
    with op.batch_alter_table("auditor_grants", schema=None) as batch_op:
        batch_op.create_index("ix_auditor_grants_auditor", ["auditor_id", "organisation_id"], unique=False)

    op.create_table(
        "facilities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("address", sa.String(length=1000), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("gln", sa.String(length=13), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("recorded_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["log_entries.leaf_index"],
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gln"),
        sa.UniqueConstraint("leaf_index"),
    )
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.create_index("ix_facilities_organisation", ["organisation_id"], unique=False)

    op.create_table(
        "organisation_identifiers",
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("scheme", "value"),
    )
    with op.batch_alter_table("organisation_identifiers", schema=None) as batch_op:
        batch_op.create_index("ix_organisation_identifiers_organisation", ["organisation_id"], unique=False)

    op.create_table(
        "organisation_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("secret_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_us", sa.BigInteger(), nullable=True),
        sa.Column("revoked_us", sa.BigInteger(), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["log_entries.leaf_index"],
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("leaf_index"),
    )
    with op.batch_alter_table("organisation_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_organisation_tokens_organisation", ["organisation_id"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("recorded_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["log_entries.leaf_index"],
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gtin"),
        sa.UniqueConstraint("leaf_index"),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index("ix_products_organisation", ["organisation_id"], unique=False)

    op.create_table(
        "supply_documents",
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("party_id", sa.String(length=36), nullable=True),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["log_entries.leaf_index"],
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("leaf_index"),
    )
    with op.batch_alter_table("supply_documents", schema=None) as batch_op:
        batch_op.create_index("ix_supply_documents_subject", ["subject_id"], unique=False)

    op.create_table(
        "supply_links",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("buyer_id", sa.String(length=36), nullable=False),
        sa.Column("supplier_id", sa.String(length=36), nullable=False),
        sa.Column("supplier_facility_id", sa.String(length=36), nullable=True),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("material", sa.String(length=200), nullable=True),
        sa.Column("share", sa.Float(), nullable=True),
        sa.Column("volume", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("valid_from_us", sa.BigInteger(), nullable=False),
        sa.Column("valid_to_us", sa.BigInteger(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("evidence_count", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("occurred_us", sa.BigInteger(), nullable=False),
        sa.Column("recorded_us", sa.BigInteger(), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("last_document_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["organisations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["log_entries.leaf_index"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_facility_id"],
            ["facilities.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("leaf_index"),
    )
    with op.batch_alter_table("supply_links", schema=None) as batch_op:
        batch_op.create_index("ix_supply_links_buyer", ["buyer_id", "valid_from_us"], unique=False)
        batch_op.create_index("ix_supply_links_gtin", ["gtin"], unique=False)
        batch_op.create_index("ix_supply_links_supplier", ["supplier_id", "valid_from_us"], unique=False)

    op.create_table(
        "supply_link_events",
        sa.Column("link_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("occurred_us", sa.BigInteger(), nullable=False),
        sa.Column("recorded_us", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["log_entries.leaf_index"],
        ),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["supply_links.id"],
        ),
        sa.PrimaryKeyConstraint("link_id", "sequence"),
        sa.UniqueConstraint("leaf_index"),
    )


def downgrade() -> None:
    op.drop_table("supply_link_events")
    with op.batch_alter_table("supply_links", schema=None) as batch_op:
        batch_op.drop_index("ix_supply_links_supplier")
        batch_op.drop_index("ix_supply_links_gtin")
        batch_op.drop_index("ix_supply_links_buyer")

    op.drop_table("supply_links")
    with op.batch_alter_table("supply_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_supply_documents_subject")

    op.drop_table("supply_documents")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index("ix_products_organisation")

    op.drop_table("products")
    with op.batch_alter_table("organisation_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_organisation_tokens_organisation")

    op.drop_table("organisation_tokens")
    with op.batch_alter_table("organisation_identifiers", schema=None) as batch_op:
        batch_op.drop_index("ix_organisation_identifiers_organisation")

    op.drop_table("organisation_identifiers")
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.drop_index("ix_facilities_organisation")

    op.drop_table("facilities")
    with op.batch_alter_table("auditor_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_auditor_grants_auditor")

    op.drop_table("auditor_grants")
    op.drop_table("organisations")
