"""The operator's recovery of a programme that lost its root keys: a document the registry itself signs.

Root keys are usually kept offline, and may be lost. Then nobody can authorise key events, so the
operator (who registered the programme in the first place, and is its trust root in the same sense)
replaces the roots. The recovery is not a quiet table edit: the registry signs it with its own key,
logs it, and it takes the programme's next key-event sequence number, so a pending proposal made with
the old roots can never complete afterwards. Anyone replaying the log checks it with the registry's key.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from verification.payloads.common import JsonNumber, Payload, Slug, Text
from verification.payloads.events import Sequence


class ProgrammeRecovery(Payload):
    type: Literal["ProgrammeRecovery"]
    programme: Slug
    sequence: Sequence = Field(description="the programme's key-event sequence number this recovery takes")
    root_keys: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=10)] = Field(
        alias="rootKeys", description="the new root keys (public JWKs); every earlier root is retired"
    )
    root_threshold: Annotated[int, Field(ge=1, le=100), JsonNumber] = Field(alias="rootThreshold")
    reason: Text

    @model_validator(mode="after")
    def _threshold_reachable(self) -> ProgrammeRecovery:
        if self.root_threshold > len(self.root_keys):
            raise ValueError("rootThreshold cannot exceed the number of root keys")
        return self
