"""Certificate status as published: the verifiable status map and the Bitstring Status List slots."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlmodel import Field, SQLModel


class StatusMapNode(SQLModel, table=True):
    """A row of the status map (docs/VERIFIABLE-MAP.md §6): a node, or a leaf at its collapsed depth.

    `position` is ``(1 << depth) | prefix`` in its fewest big-endian bytes; a leaf row also holds its
    certificate id and the SHA-256 of its chain-head value.
    """

    __tablename__ = "status_map_nodes"

    position: bytes = Field(sa_column=Column(LargeBinary(33), primary_key=True))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    leaf_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary(32), nullable=True))
    value_sha256: bytes | None = Field(default=None, sa_column=Column(LargeBinary(32), nullable=True))


class StatusMapState(SQLModel, table=True):
    """One row: whether the registry keeps the map, how many certificates it holds, how many log leaves
    it reflects (the index of the latest `status_map` leaf)."""

    __tablename__ = "status_map_state"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    entries: int = Field(sa_column=Column(BigInteger, nullable=False))
    log_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    enabled: bool = Field(sa_column=Column(Boolean, nullable=False))


class StatusListEntry(SQLModel, table=True):
    """A certificate's slot in one of its programme's Bitstring Status Lists, as its credential claims it.

    The primary key makes a slot one certificate's: a second credential naming it is refused
    (`STATUS_INDEX_TAKEN`). The bits themselves are derived from the status chains when a list is served.
    """

    __tablename__ = "status_list_entries"
    __table_args__ = (Index("ix_status_list_entries_certificate", "certificate_id"),)

    programme_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), primary_key=True))
    purpose: str = Field(sa_column=Column(String(16), primary_key=True))
    list_number: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    list_index: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    certificate_id: str = Field(sa_column=Column(String(64), ForeignKey("certificates.id"), nullable=False))
