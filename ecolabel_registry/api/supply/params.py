"""Path and query parameters, error lists and helpers shared by the supply-chain routes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Path, Query
from sqlalchemy import Connection, Engine

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.moments import parse_moment
from ecolabel_registry.errors import (
    Conflict,
    Forbidden,
    MalformedJSON,
    NotFound,
    Unauthorized,
    UnknownParty,
    UnsupportedMediaType,
    ValidationFailed,
)
from ecolabel_registry.supply.schemas import (
    INSTANT_PATTERN,
)
from verification.leaf import to_microseconds

_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
OrganisationId = Annotated[str, Path(pattern=_UUID, description="the organisation's registry id")]
FacilityId = Annotated[str, Path(pattern=_UUID)]
ProductId = Annotated[str, Path(pattern=_UUID)]
GrantId = Annotated[str, Path(pattern=_UUID)]
TokenId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]
LinkId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the declaration")]
CertificateId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the credential")]
AsOf = Annotated[
    str | None,
    Query(pattern=INSTANT_PATTERN, description="the date the chain is read on (default: now); a date means 00:00Z"),
]
Depth = Annotated[int | None, Query(ge=1, le=256, description="tiers to follow (default and maximum: settings)")]

_WRITE = (MalformedJSON, UnsupportedMediaType, ValidationFailed, Unauthorized, Forbidden, UnknownParty, Conflict)
_READ = (Unauthorized, Forbidden, NotFound, ValidationFailed)


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One consistent view for answers read with several queries (REPEATABLE READ on PostgreSQL; SQLite's
    read transaction in WAL mode is already a snapshot)."""
    with engine.connect() as raw:
        isolated = raw.execution_options(isolation_level="REPEATABLE READ") if raw.dialect.name == "postgresql" else raw
        yield isolated


def _at(as_of: str | None, default: int, name: str = "as_of") -> int:
    moment = parse_moment(as_of, name)
    return default if moment is None else to_microseconds(moment)


def _depth(context: ContextDep, depth: int | None) -> int:
    limit = context.settings.supply_max_depth
    if depth is not None and depth > limit:
        raise ValidationFailed(f"depth is at most {limit}", code="DEPTH_TOO_LARGE", max_depth=limit)
    return depth or limit
