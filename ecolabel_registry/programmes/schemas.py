"""Request and response shapes for programmes; separate from tables and from signed payloads."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from ecolabel_registry.approvals import ProposalState
from ecolabel_registry.schemas import LanguageTag, ReceiptOut, Slug
from verification.did import DID_WEB_PATTERN
from verification.identifiers import CountryCode
from verification.keys import KeyStatus

ProgrammeName = Annotated[str, Field(min_length=1, max_length=200)]


class ProgrammeRegistration(BaseModel):
    """What the operator submits to register a programme and its first public keys (its trust root)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug = Field(description="stable slug, e.g. cn-cel, eu-ecolabel, nordic-swan")
    names: Annotated[dict[LanguageTag, Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=20)] = (
        Field(description='names by BCP 47 language tag; "en" is required: {"en": "Blue Angel", "de": "Blauer Engel"}')
    )
    countries: Annotated[list[CountryCode], Field(min_length=1, max_length=60)]
    website: AnyHttpUrl | None = None
    gen_member: bool = Field(description="member of the Global Ecolabelling Network")
    accreditation_notes: Annotated[str, Field(max_length=2000)] | None = None
    root_keys: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=10)] = Field(
        description="the programme's root keys (public Ed25519 JWKs, each with a kid): they alone authorise "
        "key events, a threshold of them for each; keep them offline"
    )
    root_threshold: Annotated[int, Field(ge=1, le=10)] = Field(
        default=1, description="how many root keys must sign each key event"
    )
    keys: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=10)] = Field(
        description='signing keys for daily documents, public Ed25519 JWKs each with a "kid": '
        '{"kty": "OKP", "crv": "Ed25519", "x": ..., "kid": ...}'
    )

    also_known_as: Annotated[
        list[Annotated[str, Field(pattern=f"^{DID_WEB_PATTERN}$", max_length=300)]], Field(max_length=5)
    ] = Field(
        default_factory=list,
        description="the programme's own DIDs (e.g. did:web:ecolabel.example), listed as alsoKnownAs in the DID "
        "document the registry publishes for it",
    )

    @field_validator("names")
    @classmethod
    def _english_name_required(cls, names: dict[str, str]) -> dict[str, str]:
        if "en" not in names:
            raise ValueError('names must include "en"')
        return names

    @field_validator("countries")
    @classmethod
    def _no_repeated_country(cls, countries: list[str]) -> list[str]:
        if len(set(countries)) != len(countries):
            raise ValueError("countries must not repeat")
        return countries


class ProgrammeOut(BaseModel):
    id: str
    names: dict[str, str]
    countries: list[str]
    website: str | None
    gen_member: bool
    accreditation_notes: str | None
    registered_at: str
    registered_leaf_index: int
    root_threshold: int = Field(description="how many root keys must sign each key event")


class ProgrammeRegistered(BaseModel):
    programme: ProgrammeOut
    receipt: ReceiptOut


class ProgrammePage(BaseModel):
    items: list[ProgrammeOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class KeyRoleOut(StrEnum):
    ROOT = "root"  # authorises key events, signs nothing else
    SIGNING = "signing"  # signs daily documents, can never change keys
    ROOT_AND_SIGNING = "root_and_signing"  # a key registered before roots existed


class KeyOut(BaseModel):
    """A public JWK with its lifecycle (RFC 7517 members plus status fields)."""

    kty: str
    crv: str
    x: str
    kid: str
    status: KeyStatus
    role: KeyRoleOut
    valid_from: str = Field(description="log time at which the key was registered")
    valid_until: str | None = Field(description="log time at which it was retired or revoked")
    compromised_since: str | None = Field(description="for a revoked key: signatures logged after this are refused")


class KeySet(BaseModel):
    programme_id: str
    keys: list[KeyOut]
    root_threshold: int = Field(description="how many root keys must sign each key event")
    next_key_event: dict[str, int] = Field(description="the sequence number the next key event must carry")


class SignedKeyEvent(BaseModel):
    event: str = Field(min_length=10, max_length=65_536, description="a KeyEvent signed as a compact JWS")


class SignedApproval(BaseModel):
    approval: str = Field(
        min_length=10, max_length=65_536, description="an approval (KeyEventApproval) signed as a compact JWS"
    )


class KeyEventSubmitted(BaseModel):
    """A key event that took effect, or one that waits for more root keys to approve it."""

    state: ProposalState
    event_sha256: str = Field(description="hex SHA-256 of the key event's JWS: approvals name it")
    approved_by: list[str] = Field(description="the root keys (kids) whose signatures it carries so far")
    approvals_needed: int = Field(description="how many more root keys must approve it (0 once applied)")
    key_event: dict[str, Any] = Field(description="the key event as signed (its payload)")
    keys: KeySet
    receipt: ReceiptOut = Field(description="the receipt of the document this request logged")


class PendingKeyEvent(BaseModel):
    event_sha256: str
    key_event: dict[str, Any]
    approved_by: list[str]
    approvals_needed: int
    proposed_at: str
    document: str = Field(description="the key event's JWS as submitted, for the other roots to review and approve")


class PendingKeyEvents(BaseModel):
    programme_id: str
    items: list[PendingKeyEvent]


class ProgrammeRecoveryRequest(BaseModel):
    """The operator's request to replace the root keys of a programme that lost them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    root_keys: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=10)] = Field(
        description="the new root keys (public Ed25519 JWKs with kids the programme has never used)"
    )
    root_threshold: Annotated[int, Field(ge=1, le=10)] = 1
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class ProgrammeRecovered(BaseModel):
    recovery: str = Field(description="the ProgrammeRecovery document, a JWS signed with the registry's own key")
    keys: KeySet
    receipt: ReceiptOut
