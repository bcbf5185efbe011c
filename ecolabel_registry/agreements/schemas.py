"""Request and response shapes for agreements (separate from the signed payloads and the tables)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ecolabel_registry.schemas import ReceiptOut
from verification.agreements import Standing

Jws = Annotated[str, Field(min_length=1, max_length=262_144, description="a compact JWS")]


class SubmitAgreement(BaseModel):
    agreement: Jws = Field(
        description="a MutualRecognitionAgreement signed by the proposing party (typ ecolabel-agreement+jwt)"
    )


class SubmitSignature(BaseModel):
    signature: Jws = Field(description="an AgreementSignature signed by a party (typ ecolabel-agreement-signature+jwt)")


class SubmitAgreementEvent(BaseModel):
    event: Jws = Field(description="an AgreementEvent signed by a party (typ ecolabel-agreement-event+jwt)")


class VersionsOut(BaseModel):
    min: str | None
    max: str | None


class CategoryScopeOut(BaseModel):
    programme: str
    category: str
    criteria_versions: VersionsOut


class MappingOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: CategoryScopeOut = Field(alias="from")
    to: CategoryScopeOut


class RecognitionOut(BaseModel):
    recognizer: str
    recognized: str


class SupplementaryOut(BaseModel):
    programme: str
    category: str | None
    criterion: str


class PartyOut(BaseModel):
    programme_id: str
    proposer: bool = Field(description="the proposer signed by signing the agreement itself")
    signed: bool
    signed_at: str | None = Field(description="the registry's log time of the signature")
    signing_kid: str | None
    leaf_index: int | None
    signature_sha256: str | None
    signature: str | None = Field(description="the AgreementSignature exactly as submitted (null for the proposer)")


class AgreementEventOut(BaseModel):
    sequence: int
    change: str
    effective_at: str
    effective_until: str | None
    reason: str
    issuer_id: str
    sha256: str = Field(description="SHA-256 of the event's exact JWS bytes: the next event names it as previous")
    signing_kid: str
    leaf_index: int
    integrated_at: str
    document: str = Field(description="the AgreementEvent exactly as submitted (compact JWS)")


class AgreementOut(BaseModel):
    id: str = Field(description="hex SHA-256 of the agreement's exact JWS bytes")
    title: str | None
    issuer_id: str = Field(description="the proposing party")
    agreement_type: str = Field(description="full, common_core or proxy_assessment")
    parties: list[PartyOut]
    fully_signed: bool
    mutual: bool
    recognitions: list[RecognitionOut] = Field(description="who recognises whom (every pair when mutual)")
    effective_from: str
    effective_until: str | None = Field(description="the end as signed; see standing.effective_until for renewals")
    onward_recognition: bool
    announcement: str = Field(description="the public announcement the agreement cites")
    standing: Standing = Field(description="on `standing_at` (the as_of date, or now)")
    standing_at: str
    effective_until_at_standing: str | None = Field(description="the end as extended by renewals effective by then")
    leaf_index: int
    integrated_at: str


class AgreementDetail(AgreementOut):
    scope: list[MappingOut]
    supplementary_criteria: list[SupplementaryOut]
    proxy_note: str | None
    events: list[AgreementEventOut]
    next_event: dict[str, int | str] = Field(description="sequence and previous hash the next event must carry")
    document: str = Field(description="the agreement exactly as proposed (compact JWS)")


class AgreementSubmitted(BaseModel):
    agreement: AgreementDetail
    receipt: ReceiptOut
    created: bool = Field(description="false when the identical document was already registered")


class AgreementEventSubmitted(BaseModel):
    event: AgreementEventOut
    standing: Standing = Field(description="the agreement's standing now")
    receipt: ReceiptOut


class AgreementPage(BaseModel):
    items: list[AgreementOut]
    next_cursor: str | None
