"""Request and response shapes of watchlists."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints


class Watch(StrEnum):
    CERTIFICATE = "certificate"
    HOLDER = "holder"
    PROGRAMME = "programme"


class NewSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    callback_url: AnyHttpUrl = Field(description="where signed deliveries are POSTed (application/jose)")
    watch: Watch
    target: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(
        description="a certificate id, a holder identifier value (LEI, USCC, VAT…), or a programme id"
    )


class SubscriptionOut(BaseModel):
    id: str
    owner: str = Field(description="who may read and end it: operator, organisation:<id> or subscriber:<id>")
    callback_url: str
    watch: Watch
    target: str
    created_at: str
    active: bool


class SubscriptionPage(BaseModel):
    items: list[SubscriptionOut]
    next_cursor: str | None


class NewSubscriber(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="who holds the credential, e.g. the procurement portal of a ministry"
    )


class SubscriberOut(BaseModel):
    id: str
    name: str
    created_at: str
    revoked_at: str | None


class SubscriberIssued(BaseModel):
    subscriber: SubscriberOut
    token: str = Field(description="the credential (els_…), shown only in this response: keep it secret")


class AttemptOut(BaseModel):
    attempt: int
    at: str
    status_code: int | None
    error: str | None


class DeliveryOut(BaseModel):
    id: int
    idempotency_key: str
    event_leaf_index: int
    state: str = Field(description="pending, delivered, or parked after too many failed attempts")
    attempts: list[AttemptOut]
    next_attempt_at: str | None
    delivered_at: str | None
    body: str = Field(description="the signed JWS that is (or was) delivered")


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: int | None
