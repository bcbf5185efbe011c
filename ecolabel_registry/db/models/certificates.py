"""Certificates as logged, with their products, holder identifiers and status events."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlmodel import Field, SQLModel


class Certificate(SQLModel, table=True):
    """Index columns of one credential; the credential's exact bytes are its log entry's document."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index("ix_certificates_programme_licence", "programme_id", "licence_number"),
        Index("ix_certificates_programme_category", "programme_id", "category_code"),
    )

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    programme_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), nullable=False))
    licence_number: str = Field(sa_column=Column(String(64), nullable=False))
    category_code: str = Field(sa_column=Column(String(64), nullable=False))
    criteria_version: str = Field(sa_column=Column(String(64), nullable=False))
    holder_name: str = Field(sa_column=Column(String(500), nullable=False))
    holder_country: str = Field(sa_column=Column(String(2), nullable=False))
    valid_from_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    valid_until_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    signing_kid: str = Field(sa_column=Column(String(128), nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    supersedes: str | None = Field(
        default=None, sa_column=Column(String(64), ForeignKey("certificates.id"), nullable=True)
    )
    superseded_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    # The head of the status-event chain, kept with the row so that appending an event reads one row.
    event_count: int = Field(sa_column=Column(Integer, nullable=False))
    last_event_sha256: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    lifecycle: str = Field(sa_column=Column(String(16), nullable=False))
    # ISO 3166 codes the licence covers; empty when the credential names none (an unknown market).
    markets: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))


class CertificateProduct(SQLModel, table=True):
    __tablename__ = "certificate_products"
    __table_args__ = (Index("ix_certificate_products_gtin", "gtin"),)

    certificate_id: str = Field(sa_column=Column(String(64), ForeignKey("certificates.id"), primary_key=True))
    position: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    name: str = Field(sa_column=Column(String(500), nullable=False))
    brand: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    model: str | None = Field(default=None, sa_column=Column(String(101), nullable=True))
    gtin: str | None = Field(default=None, sa_column=Column(String(14), nullable=True))


class CertificateHolderId(SQLModel, table=True):
    __tablename__ = "certificate_holder_ids"
    __table_args__ = (Index("ix_certificate_holder_ids_value", "value", "scheme"),)

    certificate_id: str = Field(sa_column=Column(String(64), ForeignKey("certificates.id"), primary_key=True))
    scheme: str = Field(sa_column=Column(String(16), primary_key=True))
    value: str = Field(sa_column=Column(String(64), primary_key=True))


class CertificateEvent(SQLModel, table=True):
    """One status event of a certificate, in its chain position (the document is its log entry)."""

    __tablename__ = "certificate_events"

    certificate_id: str = Field(sa_column=Column(String(64), ForeignKey("certificates.id"), primary_key=True))
    sequence: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    effective_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    valid_until_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    signing_kid: str = Field(sa_column=Column(String(128), nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))
