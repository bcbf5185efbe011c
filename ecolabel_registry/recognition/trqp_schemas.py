"""Trust Registry Query Protocol v2 requests and responses (ToIP TSWG JSON Schemas, tests/vectors/trqp).

The schemas allow members they do not name, at the top level and (as strings) in `context`, so the
request types keep unknown members instead of refusing them, and the responses add a few extension
members (`decision`, `reasons`, `agreements`) that a plain TRQP client can ignore.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from verification.recognition import Decision, ReasonCode

_CONTEXT = "free-form strings; `time` is the instant asked about (RFC 3339, UTC with Z)"


class TRQPRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    entity_id: str = Field(
        description="the recognised programme (slug or urn:ecolabel:programme:…) or a certificate id"
    )
    authority_id: str = Field(description="the recognising programme (slug or urn:ecolabel:programme:…)")
    action: str = Field(description="recognize or accept-as-equivalent")
    resource: str = Field(description="the authority's category: its code, or authority:code")
    context: dict[str, str] | None = Field(
        default=None, description=f"{_CONTEXT}; `category` and `criteria_version` narrow a programme entity"
    )


class RecognitionQuery(TRQPRequest):
    """Does `authority_id` recognise `entity_id` for `action` on `resource`?"""


class AuthorizationQuery(TRQPRequest):
    """Is `entity_id` authorized, under `authority_id`, for `action` on `resource`?"""


class _Answer(BaseModel):
    entity_id: str
    authority_id: str
    action: str
    resource: str
    time_requested: str | None = Field(default=None, description="context.time as given")
    time_evaluated: str = Field(description="when the registry evaluated the query")
    message: str = Field(description="the decision and its reasons in one paragraph")
    context: dict[str, str] | None = None
    decision: Decision = Field(description="extension: accepted, accepted_through_agreement or not_accepted")
    reasons: list[ReasonCode] = Field(description="extension: reason codes when not recognised")
    agreements: list[str] = Field(description="extension: ids of the agreements on the path, in order")
    judged_at: dict[str, Any] = Field(
        description="extension: the checkpoint the answer was computed at (tree_size, root_hash base64)"
    )
    evidence: dict[str, Any] | None = Field(
        default=None,
        description="extension: for a certificate entity, what its standing was judged from, by log position "
        "(leaf_index, status_head, key_head)",
    )
    agreement_heads: list[dict[str, Any]] = Field(
        description="extension: each agreement on the path as relied on (agreement_id, leaf_index, event_head)"
    )


class RecognitionAnswer(_Answer):
    recognized: bool


class AuthorizationAnswer(_Answer):
    authorized: bool
