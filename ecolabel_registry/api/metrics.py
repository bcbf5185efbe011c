"""`GET /metrics`: Prometheus text exposition of this process's metrics and the registry's gauges."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.observability.metrics import CONTENT_TYPE, RegistryMetrics

router = APIRouter(route_class=StrictJSONRoute, tags=["registry"])


@router.get(
    "/metrics",
    operation_id="getMetrics",
    response_class=Response,
    responses=openapi_responses()
    | {200: {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    """Request rate and latency per route, log size, webhook outbox depth and rejected submissions by reason.

    Counters are per API process (scrape each process); the log size and the outbox depth come from the
    database. Nothing here is secret, but operators usually keep it to their monitoring network.
    """
    registry: RegistryMetrics = request.app.state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE)
