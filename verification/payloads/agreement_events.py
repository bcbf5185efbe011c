"""What parties sign after an agreement is proposed: their signatures, and changes to the agreement.

An `AgreementSignature` names the agreement by id (the SHA-256 of the agreement's exact JWS bytes).
An `AgreementEvent` renews, suspends, reinstates or terminates it; like a certificate's status events
it carries a sequence number and the SHA-256 of the previous event's JWS (for sequence 1: the
agreement's id), so a replayed, reordered or forked event is refused.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from verification.payloads.common import (
    Payload,
    Sha256Hex,
    Text,
    Timestamp,
    present_only_when,
    programme_of_issuer,
)
from verification.payloads.events import ProgrammeIssuer, Sequence


class AgreementSignature(Payload):
    """A party's signature on a proposed agreement."""

    type: Literal["AgreementSignature"]
    issuer: ProgrammeIssuer
    agreement: Sha256Hex = Field(description="the agreement id: hex SHA-256 of the agreement's JWS bytes")

    @property
    def programme_id(self) -> str:
        return programme_of_issuer(self.issuer) or ""


class AgreementEventApproval(Payload):
    """A party's signature on a proposed agreement event that needs it (a renewal, or lifting a suspension)."""

    type: Literal["AgreementEventApproval"]
    issuer: ProgrammeIssuer
    agreement: Sha256Hex = Field(description="the agreement id")
    event: Sha256Hex = Field(description="hex SHA-256 of the proposed AgreementEvent's JWS bytes")

    @property
    def programme_id(self) -> str:
        return programme_of_issuer(self.issuer) or ""


class AgreementChange(StrEnum):
    RENEWED = "renewed"  # a new effectiveUntil, from effectiveAt on; widens: every recognising party approves
    SUSPENDED = "suspended"  # of the issuer's own recognition
    REINSTATED = "reinstated"  # lifts suspensions; widens: every party whose suspension it lifts approves
    TERMINATED = "terminated"  # of the issuer's own recognition; final


class AgreementEvent(Payload):
    """A change to an agreement, signed by one of its parties (and approved by others where it widens)."""

    model_config = ConfigDict(json_schema_extra={"allOf": [present_only_when("effectiveUntil", "change", ["renewed"])]})

    type: Literal["AgreementEvent"]
    issuer: ProgrammeIssuer
    agreement: Sha256Hex
    sequence: Sequence
    previous: Sha256Hex = Field(description="SHA-256 of the previous event's JWS bytes (sequence 1: the agreement id)")
    change: AgreementChange
    effective_at: Timestamp = Field(alias="effectiveAt")
    effective_until: Timestamp | None = Field(
        default=None, alias="effectiveUntil", description="renewed: the new end of the agreement (exclusive)"
    )
    reason: Text

    @model_validator(mode="after")
    def _renewal_has_an_end(self) -> AgreementEvent:
        if (self.change is AgreementChange.RENEWED) != (self.effective_until is not None):
            raise ValueError("effectiveUntil is required for renewed and only for renewed")
        if self.effective_until is not None and self.effective_until <= self.effective_at:
            raise ValueError("a renewal's effectiveUntil must be later than its effectiveAt")
        return self

    @property
    def programme_id(self) -> str:
        return programme_of_issuer(self.issuer) or ""
