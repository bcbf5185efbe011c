"""Mutual-recognition agreements, their parties and their signed events."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlmodel import Field, SQLModel


class AgreementRow(SQLModel, table=True):
    """Index columns of a mutual-recognition agreement; its exact signed bytes are its log entry's document."""

    __tablename__ = "agreements"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    issuer_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), nullable=False))
    title: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    agreement_type: str = Field(sa_column=Column(String(32), nullable=False))
    effective_from_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    effective_until_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    onward_recognition: bool = Field(sa_column=Column(Boolean, nullable=False))
    signing_kid: str = Field(sa_column=Column(String(128), nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The head of the event chain, kept with the row so that appending an event reads one row.
    event_count: int = Field(sa_column=Column(Integer, nullable=False))
    last_event_sha256: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


class AgreementParty(SQLModel, table=True):
    """A party to an agreement and, once it signed, its signature (the proposer's is the agreement itself)."""

    __tablename__ = "agreement_parties"
    __table_args__ = (Index("ix_agreement_parties_programme", "programme_id", "agreement_id"),)

    agreement_id: str = Field(sa_column=Column(String(64), ForeignKey("agreements.id"), primary_key=True))
    programme_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), primary_key=True))
    signed_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    signing_kid: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    signature_sha256: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    leaf_index: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=True)
    )


class AgreementEventRow(SQLModel, table=True):
    """One signed event of an agreement, in its chain position (the document is its log entry)."""

    __tablename__ = "agreement_events"

    agreement_id: str = Field(sa_column=Column(String(64), ForeignKey("agreements.id"), primary_key=True))
    sequence: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    change: str = Field(sa_column=Column(String(16), nullable=False))
    effective_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    effective_until_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    issuer_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    signing_kid: str = Field(sa_column=Column(String(128), nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))
