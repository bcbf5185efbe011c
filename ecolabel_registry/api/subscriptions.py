"""Watchlists: subscribe a callback to status changes and read the delivery history.

Every operation needs a bearer credential that names an owner: a subscriber credential (`els_…`) or an
organisation token (`elr_…`), both issued by the operator, or the admin token. A subscription and its
deliveries are visible only to their owner and the operator.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routers import PrefixRouter
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.clock import now_us
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.errors import (
    MalformedJSON,
    NotFound,
    QuotaExceeded,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from ecolabel_registry.identity import authenticate_caller
from ecolabel_registry.webhooks import service
from ecolabel_registry.webhooks.schemas import DeliveryPage, NewSubscription, SubscriptionOut, SubscriptionPage

router = PrefixRouter(prefix="/v1/subscriptions", route_class=StrictJSONRoute, tags=["watchlists"])
SubscriptionId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
_watch_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="WatchlistOwner",
    description="A subscriber credential (els_…) or an organisation token (elr_…) issued by the operator, "
    "or the operator's admin token",
)


def get_watch_owner(
    context: ContextDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_watch_bearer)]
) -> str:
    with context.engine.connect() as connection:
        presented = credentials.credentials if credentials else None
        return authenticate_caller(connection, presented, context.admin_token, now_us())


WatchOwner = Annotated[str, Depends(get_watch_owner)]
"""Who calls: `operator`, `organisation:<id>` or `subscriber:<id>` (see `ecolabel_registry.identity`)."""


@router.post(
    "",
    operation_id="createSubscription",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(MalformedJSON, UnsupportedMediaType, ValidationFailed, Unauthorized, QuotaExceeded),
)
def subscribe(body: NewSubscription, owner: WatchOwner, context: ContextDep) -> SubscriptionOut:
    """Watch a certificate, a holder (by identifier) or a programme for status changes.

    The caller owns the subscription; each owner may hold `webhook_max_subscriptions_per_owner` active
    ones. Each change logged from now on is POSTed to the callback as a registry-signed JWS
    (`application/jose`) with an `Idempotency-Key` header, at least once, retried with exponential
    backoff. Callbacks that resolve to anything but public unicast addresses are refused unless the
    operator allows private ones.
    """
    with write_connection(context.engine) as connection:
        return service.subscribe(connection, context, owner, body)


@router.get("", operation_id="listSubscriptions", responses=openapi_responses(Unauthorized, ValidationFailed))
def list_subscriptions(
    owner: WatchOwner,
    context: ContextDep,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SubscriptionPage:
    """The caller's subscriptions, active or not, by id (the operator sees everyone's)."""
    with context.engine.connect() as connection:
        items, next_cursor = service.owned(connection, owner, cursor, limit)
    return SubscriptionPage(items=items, next_cursor=next_cursor)


@router.get("/{subscription_id}", operation_id="getSubscription", responses=openapi_responses(NotFound, Unauthorized))
def get_subscription(subscription_id: SubscriptionId, owner: WatchOwner, context: ContextDep) -> SubscriptionOut:
    """One subscription of the caller's (any, for the operator)."""
    with context.engine.connect() as connection:
        return service.get(connection, owner, subscription_id)


@router.delete(
    "/{subscription_id}",
    operation_id="deleteSubscription",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=openapi_responses(NotFound, Unauthorized),
)
def unsubscribe(subscription_id: SubscriptionId, owner: WatchOwner, context: ContextDep) -> Response:
    """Stop watching (the owner or the operator); deliveries already queued are still made."""
    with write_connection(context.engine) as connection:
        service.unsubscribe(connection, owner, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{subscription_id}/deliveries",
    operation_id="listDeliveries",
    responses=openapi_responses(NotFound, Unauthorized, ValidationFailed),
)
def list_deliveries(
    subscription_id: SubscriptionId,
    owner: WatchOwner,
    context: ContextDep,
    cursor: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DeliveryPage:
    """Every delivery for this subscription with each attempt: pending, delivered, or parked."""
    with context.engine.connect() as connection:
        items, next_cursor = service.deliveries(connection, owner, subscription_id, cursor, limit)
    return DeliveryPage(items=items, next_cursor=next_cursor)
