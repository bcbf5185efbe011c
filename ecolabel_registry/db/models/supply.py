"""Supply-chain parties, links, tokens, auditor grants and the logged supply documents."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlmodel import Field, SQLModel

# --- Supply chain ----------------------------------------------------------------------------------
# Every row below was created by a logged write: `leaf_index` names the log entry that holds the exact
# request body (a `supply_chain` leaf, public only as its SHA-256 commitment). Times are integer
# microseconds since the Unix epoch, UTC, like every other table.


class Organisation(SQLModel, table=True):
    """A party of a supply chain, registered by the operator."""

    __tablename__ = "organisations"

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    country: str = Field(sa_column=Column(String(2), nullable=False))
    names: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    recorded_us: int = Field(sa_column=Column(BigInteger, nullable=False))


class OrganisationIdentifier(SQLModel, table=True):
    """One validated identifier; (scheme, value) names at most one organisation."""

    __tablename__ = "organisation_identifiers"
    __table_args__ = (Index("ix_organisation_identifiers_organisation", "organisation_id"),)

    scheme: str = Field(sa_column=Column(String(16), primary_key=True))
    value: str = Field(sa_column=Column(String(64), primary_key=True))
    organisation_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))


class Facility(SQLModel, table=True):
    __tablename__ = "facilities"
    __table_args__ = (Index("ix_facilities_organisation", "organisation_id"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    organisation_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    name: str = Field(sa_column=Column(String(500), nullable=False))
    address: str = Field(sa_column=Column(String(1000), nullable=False))
    country: str = Field(sa_column=Column(String(2), nullable=False))
    latitude: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    longitude: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    gln: str | None = Field(default=None, sa_column=Column(String(13), nullable=True, unique=True))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    recorded_us: int = Field(sa_column=Column(BigInteger, nullable=False))


class SupplyProduct(SQLModel, table=True):
    """A trade item of an organisation, by GTIN (normalised to 14 digits, as certificate_products)."""

    __tablename__ = "products"
    __table_args__ = (Index("ix_products_organisation", "organisation_id"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    organisation_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    name: str = Field(sa_column=Column(String(500), nullable=False))
    gtin: str = Field(sa_column=Column(String(14), nullable=False, unique=True))
    model: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    category: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    recorded_us: int = Field(sa_column=Column(BigInteger, nullable=False))


class SupplyLink(SQLModel, table=True):
    """supplier -> buyer for a product (GTIN) or a material, declared by the buyer.

    `id` is the hex SHA-256 of the declaration's exact bytes. `event_count`/`last_document_sha256` are the
    head of the link's event chain (confirmations, disputes), as for certificate status events.
    """

    __tablename__ = "supply_links"
    __table_args__ = (
        # Upstream traversal reads links by buyer and date; impact reads them by supplier and by GTIN.
        Index("ix_supply_links_buyer", "buyer_id", "valid_from_us"),
        Index("ix_supply_links_supplier", "supplier_id", "valid_from_us"),
        Index("ix_supply_links_gtin", "gtin"),
    )

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    buyer_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    supplier_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    supplier_facility_id: str | None = Field(
        default=None, sa_column=Column(String(36), ForeignKey("facilities.id"), nullable=True)
    )
    gtin: str | None = Field(default=None, sa_column=Column(String(14), nullable=True))
    material: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    share: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    volume: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    unit: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    valid_from_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    valid_to_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    evidence: list[dict[str, str]] = Field(sa_column=Column(JSON, nullable=False))
    # Kept beside the JSON so that chain answers and audits never decode it (the hot path).
    evidence_count: int = Field(sa_column=Column(Integer, nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    state_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    occurred_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    recorded_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    event_count: int = Field(sa_column=Column(Integer, nullable=False))
    last_document_sha256: str = Field(sa_column=Column(String(64), nullable=False))


class SupplyLinkEvent(SQLModel, table=True):
    """A confirmation or dispute by the supplier, in its chain position."""

    __tablename__ = "supply_link_events"

    link_id: str = Field(sa_column=Column(String(64), ForeignKey("supply_links.id"), primary_key=True))
    sequence: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    action: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    occurred_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    recorded_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )


class OrganisationToken(SQLModel, table=True):
    """An API token of an organisation: only the SHA-256 of its secret part is stored."""

    __tablename__ = "organisation_tokens"
    __table_args__ = (Index("ix_organisation_tokens_organisation", "organisation_id"),)

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    organisation_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    secret_sha256: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    scopes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    label: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    created_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    expires_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    revoked_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )


class AuditorGrant(SQLModel, table=True):
    """`organisation_id` lets `auditor_id` read its supply chain from `valid_from_us` until `valid_until_us`."""

    __tablename__ = "auditor_grants"
    __table_args__ = (Index("ix_auditor_grants_auditor", "auditor_id", "organisation_id"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    organisation_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    auditor_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    valid_from_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    valid_until_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    revoked_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )


class SupplyDocument(SQLModel, table=True):
    """Who may read a logged supply-chain document: readers of `organisation_id`'s chain, and `party_id`."""

    __tablename__ = "supply_documents"
    __table_args__ = (Index("ix_supply_documents_subject", "subject_id"),)

    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), primary_key=True, autoincrement=False)
    )
    action: str = Field(sa_column=Column(String(32), nullable=False))
    organisation_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    party_id: str | None = Field(default=None, sa_column=Column(String(36), nullable=True))
    subject_id: str = Field(sa_column=Column(String(64), nullable=False))
