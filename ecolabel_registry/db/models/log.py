"""The transparency log: its state, entries, Merkle nodes, signed checkpoints and witness cosignatures."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
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
        Index("ix_log_entries_kind_leaf", "kind", "leaf_index"),  # recognition.compiled: newest leaf per kind
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


class LogCheckpoint(SQLModel, table=True):
    """Every checkpoint the registry signed, by tree size: receipts can always be reproduced exactly."""

    __tablename__ = "log_checkpoints"

    tree_size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    note: str = Field(sa_column=Column(Text, nullable=False))


class LogCosignature(SQLModel, table=True):
    """A witness's cosignature of the checkpoint of one tree size (C2SP tlog-cosignature, cosignature/v1).

    `signature` is the note signature after the key ID: the 8-byte timestamp and the Ed25519 signature.
    """

    __tablename__ = "log_cosignatures"
    __table_args__ = (Index("ix_log_cosignatures_witness", "key_name", "key_id", "tree_size"),)

    tree_size: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_checkpoints.tree_size"), primary_key=True, autoincrement=False)
    )
    key_name: str = Field(sa_column=Column(String(256), primary_key=True))
    key_id: bytes = Field(sa_column=Column(LargeBinary(4), primary_key=True))
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    timestamp: int = Field(sa_column=Column(BigInteger, nullable=False))
