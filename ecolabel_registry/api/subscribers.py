"""Subscriber credentials, issued and revoked by the operator, for parties that own watchlists."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response, status

from ecolabel_registry.api.deps import AdminOnly, ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routers import PrefixRouter
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.errors import MalformedJSON, NotFound, Unauthorized, UnsupportedMediaType, ValidationFailed
from ecolabel_registry.webhooks import subscribers
from ecolabel_registry.webhooks.schemas import NewSubscriber, SubscriberIssued

router = PrefixRouter(prefix="/v1/subscribers", route_class=StrictJSONRoute, tags=["watchlists"])
SubscriberId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]


@router.post(
    "",
    operation_id="issueSubscriber",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(MalformedJSON, UnsupportedMediaType, ValidationFailed, Unauthorized),
)
def issue_subscriber(body: NewSubscriber, _: AdminOnly, context: ContextDep) -> SubscriberIssued:
    """Issue a subscriber credential (operator only). The credential is in this response only: the
    registry keeps just the SHA-256 of its secret. Its holder can then own watchlists."""
    with write_connection(context.engine) as connection:
        token, subscriber = subscribers.issue(connection, body.name)
    return SubscriberIssued(subscriber=subscriber, token=token)


@router.delete(
    "/{subscriber_id}",
    operation_id="revokeSubscriber",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=openapi_responses(NotFound, Unauthorized),
)
def revoke_subscriber(subscriber_id: SubscriberId, _: AdminOnly, context: ContextDep) -> Response:
    """Revoke a subscriber credential at once (operator only) and end every subscription it owns."""
    with write_connection(context.engine) as connection:
        subscribers.revoke(connection, subscriber_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
