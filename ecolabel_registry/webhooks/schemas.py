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
    id: str = Field(description="keep it secret: it is the only credential for reading deliveries")
    callback_url: str
    watch: Watch
    target: str
    created_at: str
    active: bool


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
