"""Liveness and database reachability."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.errors import DatabaseUnavailable, IntegrityDiverged
from ecolabel_registry.integrity import guard

router = APIRouter(route_class=StrictJSONRoute, tags=["registry"])


class ReplicaHealth(BaseModel):
    """A read replica as measured for this answer; out of rotation, its reads go to the primary."""

    name: str = Field(description="host:port/database")
    reachable: bool
    in_rotation: bool = Field(description="a standby no further behind than ECOLABEL_REPLICA_MAX_LAG")
    lag_seconds: float | None = Field(description="how far behind the primary, in seconds")
    tree_size: int | None = Field(description="leaves in the replica's log")
    tree_size_lag: int | None = Field(description="leaves the primary's log has that the replica's lacks")


class Health(BaseModel):
    status: str
    database: str
    replicas: list[ReplicaHealth] = Field(
        default_factory=list, description="each read replica (ECOLABEL_DATABASE_REPLICA_URLS); empty without"
    )


@router.get("/healthz", operation_id="getHealth", responses=openapi_responses(DatabaseUnavailable, IntegrityDiverged))
def healthz(context: ContextDep) -> Health:
    """The process is alive, its database answers a query, and no divergence between its tables and its log
    is recorded (`ecolabel-registry fsck`); when one is, the answer is 503 `integrity-divergence`, naming it.
    Each read replica's lag, measured now."""
    try:
        with context.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            divergence = guard.recorded(connection, fresh=True)
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable("the database did not answer") from exc
    if divergence is not None:
        raise guard.problem(divergence)
    replicas = [] if context.reads is None else context.reads.check()
    return Health(
        status="ok",
        database=context.engine.dialect.name,
        replicas=[
            ReplicaHealth(
                name=r.name,
                reachable=r.reachable,
                in_rotation=r.in_rotation,
                lag_seconds=r.lag_seconds,
                tree_size=r.tree_size,
                tree_size_lag=r.tree_size_lag,
            )
            for r in replicas
        ],
    )
