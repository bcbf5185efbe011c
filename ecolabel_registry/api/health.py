"""Liveness and database reachability."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.errors import DatabaseUnavailable, IntegrityDiverged
from ecolabel_registry.integrity import guard

router = APIRouter(route_class=StrictJSONRoute, tags=["registry"])


class Health(BaseModel):
    status: str
    database: str


@router.get("/healthz", operation_id="getHealth", responses=openapi_responses(DatabaseUnavailable, IntegrityDiverged))
def healthz(context: ContextDep) -> Health:
    """The process is alive, its database answers a query, and no divergence between its tables and its log
    is recorded (`ecolabel-registry fsck`); when one is, the answer is 503 `integrity-divergence`, naming it."""
    try:
        with context.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            divergence = guard.recorded(connection, fresh=True)
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable("the database did not answer") from exc
    if divergence is not None:
        raise guard.problem(divergence)
    return Health(status="ok", database=context.engine.dialect.name)
