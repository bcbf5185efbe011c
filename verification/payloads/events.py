"""Status events of a certificate and key events of a programme: signed, sequenced and hash-chained.

Each status event names the certificate, carries a sequence number (1, 2, …) and the SHA-256 of the
previous event's exact JWS bytes (for sequence 1: of the credential's). A replayed, reordered or forked
event therefore cannot be accepted: the registry checks the chain, and so can anyone offline.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from verification.identifiers import Tidy
from verification.payloads.common import (
    CertificateId,
    JsonNumber,
    Payload,
    Sha256Hex,
    Text,
    Timestamp,
    present_only_when,
    programme_of_issuer,
)

ProgrammeIssuer = Annotated[str, StringConstraints(pattern=r"^urn:ecolabel:programme:[a-z0-9]+(-[a-z0-9]+)*$")]
Sequence = Annotated[int, Field(ge=1, le=2**53 - 1), JsonNumber]
Kid = Annotated[str, StringConstraints(min_length=1, max_length=128), Tidy]


class StatusChange(StrEnum):
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    WITHDRAWN = "withdrawn"
    RENEWED = "renewed"
    EXPIRED = "expired"


class CertificateStatusEvent(Payload):
    model_config = ConfigDict(json_schema_extra={"allOf": [present_only_when("validUntil", "status", ["renewed"])]})

    type: Literal["CertificateStatusEvent"]
    issuer: ProgrammeIssuer
    certificate: CertificateId
    sequence: Sequence
    previous: Sha256Hex = Field(description="SHA-256 of the previous event's JWS bytes (sequence 1: the credential's)")
    status: StatusChange
    effective_at: Timestamp = Field(alias="effectiveAt")
    reason: Text
    valid_until: Timestamp | None = Field(default=None, alias="validUntil", description="the new end, for renewed")

    @model_validator(mode="after")
    def _renewal_has_an_end(self) -> CertificateStatusEvent:
        if (self.status is StatusChange.RENEWED) != (self.valid_until is not None):
            raise ValueError("validUntil is required for renewed and only for renewed")
        return self

    @property
    def programme_id(self) -> str:
        return programme_of_issuer(self.issuer) or ""


class KeyAction(StrEnum):
    ADD = "add"
    RETIRE = "retire"
    REVOKE = "revoke"
    THRESHOLD = "threshold"  # how many root keys must approve each later key event


class KeyRole(StrEnum):
    """TUF's split: root keys (usually offline, a threshold of them) change keys; signing keys sign documents."""

    ROOT = "root"
    SIGNING = "signing"


class KeyEvent(Payload):
    """A change to a programme's keys, signed by one of its root keys and approved by a threshold of them."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                present_only_when("key", "action", ["add"]),
                present_only_when("kid", "action", ["retire", "revoke"]),
                present_only_when("compromisedSince", "action", ["revoke"]),
                present_only_when("threshold", "action", ["threshold"]),
                {
                    "if": {"not": {"properties": {"action": {"const": "add"}}}},
                    "then": {"anyOf": [{"not": {"required": ["role"]}}, {"properties": {"role": {"type": "null"}}}]},
                },
            ]
        }
    )

    type: Literal["KeyEvent"]
    issuer: ProgrammeIssuer
    sequence: Sequence = Field(description="1 for the programme's first key event, then 2, 3, …")
    action: KeyAction
    key: dict[str, Any] | None = Field(default=None, description="the public JWK to add (action add)")
    role: KeyRole | None = Field(
        default=None, description="add: whether the new key is a root or (the default) a signing key"
    )
    kid: Kid | None = Field(default=None, description="the key retired or revoked")
    compromised_since: Timestamp | None = Field(
        default=None,
        alias="compromisedSince",
        description="revoke: documents this key signed that the registry logged after this instant stop verifying",
    )
    threshold: Annotated[int, Field(ge=1, le=100), JsonNumber] | None = Field(
        default=None, description="threshold: the number of root keys that must approve each later key event"
    )
    reason: Text | None = None

    @model_validator(mode="after")
    def _fields_fit_the_action(self) -> KeyEvent:
        if self.action is KeyAction.ADD and (self.key is None or self.kid is not None):
            raise ValueError("add carries key (a public JWK) and no kid")
        if self.action in (KeyAction.RETIRE, KeyAction.REVOKE) and (self.kid is None or self.key is not None):
            raise ValueError("retire and revoke carry kid and no key")
        if (self.action is KeyAction.REVOKE) != (self.compromised_since is not None):
            raise ValueError("compromisedSince is required for revoke and only for revoke")
        if (self.action is KeyAction.THRESHOLD) != (self.threshold is not None):
            raise ValueError("threshold is required for the threshold action and only for it")
        if self.action is KeyAction.THRESHOLD and (self.key is not None or self.kid is not None):
            raise ValueError("the threshold action carries neither key nor kid")
        if self.action is not KeyAction.ADD and self.role is not None:
            raise ValueError("role belongs to add only")
        return self

    @property
    def programme_id(self) -> str:
        return programme_of_issuer(self.issuer) or ""


class KeyEventApproval(Payload):
    """A further root key's signature on a proposed key event, named by the SHA-256 of its JWS bytes."""

    type: Literal["KeyEventApproval"]
    issuer: ProgrammeIssuer
    event: Sha256Hex = Field(description="hex SHA-256 of the proposed KeyEvent's JWS bytes")

    @property
    def programme_id(self) -> str:
        return programme_of_issuer(self.issuer) or ""
