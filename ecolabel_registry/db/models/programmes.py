"""Programmes, their keys and key events, proposed events awaiting approval, and their categories."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
    true,
)
from sqlmodel import Field, SQLModel


class Programme(SQLModel, table=True):
    """An eco-label programme (ISO 14024 Type I body) registered by the operator: a trust root."""

    __tablename__ = "programmes"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    names: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    countries: list[str] = Field(sa_column=Column(JSON, nullable=False))
    website: str | None = Field(default=None, sa_column=Column(String(2048), nullable=True))
    gen_member: bool = Field(sa_column=Column(Boolean, nullable=False))
    accreditation_notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    registered_leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    registered_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    # How many root keys must approve each key event (verification.keys.KeyRing).
    root_threshold: int = Field(sa_column=Column(Integer, nullable=False, server_default="1"))


class ProgrammeKey(SQLModel, table=True):
    """One public key of a programme; its status follows from the log times below (verification.keys)."""

    __tablename__ = "programme_keys"

    programme_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), primary_key=True))
    kid: str = Field(sa_column=Column(String(128), primary_key=True))
    public_key: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    added_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    added_leaf_index: int = Field(sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False))
    ended_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    compromised_since_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # Roles (TUF's root/online split): a root key authorises key events, a signing key signs documents.
    # Both are true only for a key registered before roots existed.
    root: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=false()))
    signing: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=true()))


class KeyEventRow(SQLModel, table=True):
    """A key event of a programme in its sequence, or the operator's recovery (`action` "recover").

    `leaf_index` is the event document's leaf; an event that waited for approvals took effect later.
    """

    __tablename__ = "key_events"

    programme_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), primary_key=True))
    sequence: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    action: str = Field(sa_column=Column(String(16), nullable=False))
    kid: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    leaf_index: int = Field(sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False))


class ProposedEvent(SQLModel, table=True):
    """A key event or agreement event that waits for approvals before it joins its chain.

    `subject` is the programme (key events) or the agreement (agreement events). A proposal whose
    `sequence` another event took first is stale: it can never complete (verification.keys,
    verification.agreements).
    """

    __tablename__ = "proposed_events"
    __table_args__ = (Index("ix_proposed_events_subject", "kind", "subject", "sequence"),)

    sha256: str = Field(sa_column=Column(String(64), primary_key=True))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    subject: str = Field(sa_column=Column(String(64), nullable=False))
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    applied_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class ProposalApproval(SQLModel, table=True):
    """One signer's approval of a proposal: a root kid (key events) or a party (agreement events).

    The proposer's own signature is recorded too, with the proposal's leaf left out (`leaf_index` null).
    """

    __tablename__ = "proposal_approvals"

    proposal_sha256: str = Field(sa_column=Column(String(64), ForeignKey("proposed_events.sha256"), primary_key=True))
    signer: str = Field(sa_column=Column(String(128), primary_key=True))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    leaf_index: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=True, unique=True)
    )
    signed_us: int = Field(sa_column=Column(BigInteger, nullable=False))


class Category(SQLModel, table=True):
    """One criteria version of a programme's category, as the programme signed it."""

    __tablename__ = "categories"

    programme_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), primary_key=True))
    code: str = Field(sa_column=Column(String(64), primary_key=True))
    criteria_version: str = Field(sa_column=Column(String(64), primary_key=True))
    names: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    criteria_id: str = Field(sa_column=Column(String(100), nullable=False))
    valid_from_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    valid_until_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    transition_end_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    leaf_index: int = Field(sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False))


class CategoryCode(SQLModel, table=True):
    """A crosswalk code (CPV, China procurement item, HS) of a category version, for lookups by code."""

    __tablename__ = "category_codes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["programme_id", "code", "criteria_version"],
            ["categories.programme_id", "categories.code", "categories.criteria_version"],
        ),
        Index("ix_category_codes_scheme_value", "scheme", "value"),
    )

    programme_id: str = Field(sa_column=Column(String(64), primary_key=True))
    code: str = Field(sa_column=Column(String(64), primary_key=True))
    criteria_version: str = Field(sa_column=Column(String(64), primary_key=True))
    scheme: str = Field(sa_column=Column(String(16), primary_key=True))
    value: str = Field(sa_column=Column(String(32), primary_key=True))
