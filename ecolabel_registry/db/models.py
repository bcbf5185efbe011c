"""Table models. These are storage, not payloads: signed documents are kept as the exact bytes received.

Every table is created by an alembic migration (`migrations/versions`); `tests/registry/test_migrations.py`
runs `alembic check` so that these classes and the migrations cannot drift apart.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlmodel import Field, SQLModel


class LogState(SQLModel, table=True):
    """The head of the transparency log: one row, locked by every append (see log.repository)."""

    __tablename__ = "log_state"

    id: int = Field(default=1, primary_key=True)
    tree_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    # The right frontier: roots of the perfect subtrees that make up the tree, largest first,
    # concatenated (32 bytes each). Appends and the new root need no other read (RFC 9162 §2.1.1).
    frontier: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    last_integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    checkpoint: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class LogEntry(SQLModel, table=True):
    """One leaf: the exact document bytes, its kind and the registry's integration time."""

    __tablename__ = "log_entries"
    __table_args__ = (
        Index("ix_log_entries_leaf_hash", "leaf_hash"),
        Index("ix_log_entries_document_sha256", "document_sha256"),
    )

    leaf_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    document: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    document_sha256: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class LogNode(SQLModel, table=True):
    """The root of a complete, aligned subtree: leaves [idx·2^level, (idx+1)·2^level); level 0 is a leaf.

    Proofs read only this table, so the tree does not depend on the entries' own leaf_hash column.
    """

    __tablename__ = "log_nodes"

    level: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


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


class ProgrammeKey(SQLModel, table=True):
    """One public key of a programme and its lifecycle; a key's status is derived from logged events."""

    __tablename__ = "programme_keys"

    programme_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), primary_key=True))
    kid: str = Field(sa_column=Column(String(128), primary_key=True))
    public_key: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    added_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    added_leaf_index: int = Field(sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False))
    retired_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    compromised_since_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
