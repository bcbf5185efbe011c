"""Watchlists: subscribe a callback to status changes and read the delivery history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.errors import MalformedJSON, NotFound, UnsupportedMediaType, ValidationFailed
from ecolabel_registry.webhooks import service
from ecolabel_registry.webhooks.schemas import DeliveryPage, NewSubscription, SubscriptionOut

router = APIRouter(prefix="/v1/subscriptions", route_class=StrictJSONRoute, tags=["watchlists"])
SubscriptionId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


@router.post(
    "",
    operation_id="createSubscription",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(MalformedJSON, UnsupportedMediaType, ValidationFailed),
)
def subscribe(body: NewSubscription, context: ContextDep) -> SubscriptionOut:
    """Watch a certificate, a holder (by identifier) or a programme for status changes.

    Each change is POSTed to the callback as a registry-signed JWS (`application/jose`) with an
    `Idempotency-Key` header, at least once, retried with exponential backoff. Callbacks to loopback,
    private or link-local addresses are refused unless the operator allows them.
    """
    with write_connection(context.engine) as connection:
        return service.subscribe(connection, context, body)


@router.get("/{subscription_id}", operation_id="getSubscription", responses=openapi_responses(NotFound))
def get_subscription(subscription_id: SubscriptionId, context: ContextDep) -> SubscriptionOut:
    """One subscription (its id is the credential: keep it secret)."""
    with context.engine.connect() as connection:
        return service.get(connection, subscription_id)


@router.delete(
    "/{subscription_id}",
    operation_id="deleteSubscription",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=openapi_responses(NotFound),
)
def unsubscribe(subscription_id: SubscriptionId, context: ContextDep) -> Response:
    """Stop watching; deliveries already queued are still made."""
    with write_connection(context.engine) as connection:
        service.unsubscribe(connection, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{subscription_id}/deliveries", operation_id="listDeliveries", responses=openapi_responses(NotFound))
def list_deliveries(
    subscription_id: SubscriptionId,
    context: ContextDep,
    cursor: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DeliveryPage:
    """Every delivery for this subscription with each attempt: pending, delivered, or parked."""
    with context.engine.connect() as connection:
        items, next_cursor = service.deliveries(connection, subscription_id, cursor, limit)
    return DeliveryPage(items=items, next_cursor=next_cursor)
