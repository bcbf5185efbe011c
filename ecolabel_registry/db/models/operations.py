"""What the registry keeps about itself: integrity checks and the statistics caches."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlmodel import Field, SQLModel


class IntegrityCheck(SQLModel, table=True):
    """The last check of the tables against a replay of the log (`ecolabel-registry fsck`): one row.

    Shared by every API process: a divergence any of them (or the operator's `fsck`) finds degrades them
    all, and only a clean `ecolabel-registry fsck` run by the operator clears it (docs/DEPLOYMENT.md).
    """

    __tablename__ = "integrity_checks"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    verified_tree_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    checked_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    divergence: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    diverged_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


# --- Open data ---------------------------------------------------------------------------------------
# Certificate counts precomputed per checkpoint (ecolabel_registry.statistics): a cache of the log like
# every other table, refreshed from the leaves the log added since `statistics_state.tree_size`.


class StatisticsState(SQLModel, table=True):
    """The checkpoint the statistics tables reflect: one row, moved by compare-and-set (statistics.refresh)."""

    __tablename__ = "statistics_state"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    tree_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The last year any change falls in: every key's yearly totals run densely up to it.
    horizon_year: int = Field(sa_column=Column(Integer, nullable=False))


class StatisticsDaily(SQLModel, table=True):
    """The net change, on `day` (days since 1970-01-01), of the certificates counted under one key."""

    __tablename__ = "statistics_daily"
    __table_args__ = (Index("ix_statistics_daily_dimension_day", "dimension", "day", "value", "status", "delta"),)

    dimension: str = Field(sa_column=Column(String(32), primary_key=True))
    value: str = Field(sa_column=Column(String(400), primary_key=True))
    status: str = Field(sa_column=Column(String(16), primary_key=True))
    day: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    delta: int = Field(sa_column=Column(BigInteger, nullable=False))


class StatisticsMonthly(SQLModel, table=True):
    """The net change in `month` (months since January 1970) of the certificates counted under one key."""

    __tablename__ = "statistics_monthly"
    __table_args__ = (Index("ix_statistics_monthly_dimension_month", "dimension", "month", "value", "status", "delta"),)

    dimension: str = Field(sa_column=Column(String(32), primary_key=True))
    value: str = Field(sa_column=Column(String(400), primary_key=True))
    status: str = Field(sa_column=Column(String(16), primary_key=True))
    month: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    delta: int = Field(sa_column=Column(BigInteger, nullable=False))


class StatisticsYearly(SQLModel, table=True):
    """The count under one key at the end of `year` (years since 1970), dense per key up to the horizon."""

    __tablename__ = "statistics_yearly"
    __table_args__ = (Index("ix_statistics_yearly_dimension_year", "dimension", "year", "value", "status", "total"),)

    dimension: str = Field(sa_column=Column(String(32), primary_key=True))
    value: str = Field(sa_column=Column(String(400), primary_key=True))
    status: str = Field(sa_column=Column(String(16), primary_key=True))
    year: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    total: int = Field(sa_column=Column(BigInteger, nullable=False))
