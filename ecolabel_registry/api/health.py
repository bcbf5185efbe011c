"""Liveness and database reachability."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.errors import DatabaseUnavailable

router = APIRouter(route_class=StrictJSONRoute, tags=["registry"])


class Health(BaseModel):
    status: str
    database: str


@router.get("/healthz", operation_id="getHealth", responses=openapi_responses(DatabaseUnavailable))
def healthz(context: ContextDep) -> Health:
    """The process is alive and its database answers a query."""
    try:
        with context.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable("the database did not answer") from exc
    return Health(status="ok", database=context.engine.dialect.name)
