"""Request and response shapes for agreements (separate from the signed payloads and the tables)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ecolabel_registry.approvals import ProposalState
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
    standing: Standing = Field(
        description="on `standing_at` (the as_of date, or now), as a whole: in force while any recognising party's "
        "recognition is"
    )
    suspended_by: list[str] = Field(description="recognising parties whose own recognition is suspended then")
    terminated_by: list[str] = Field(description="recognising parties that have terminated their own recognition")
    standing_at: str
    effective_until_at_standing: str | None = Field(description="the end as extended by renewals effective by then")
    leaf_index: int
    integrated_at: str


class ProposedEventOut(BaseModel):
    """A widening event (a renewal, or lifting another party's suspension) waiting for the parties it needs."""

    sha256: str = Field(description="hex SHA-256 of the proposed event's JWS: approvals name it")
    sequence: int
    change: str
    effective_at: str
    effective_until: str | None
    issuer_id: str
    approved_by: list[str]
    awaiting: list[str] = Field(description="the parties that must still approve it")
    proposed_at: str
    document: str = Field(description="the AgreementEvent exactly as proposed (compact JWS)")


class AgreementDetail(AgreementOut):
    scope: list[MappingOut]
    supplementary_criteria: list[SupplementaryOut]
    proxy_note: str | None
    events: list[AgreementEventOut]
    proposed_events: list[ProposedEventOut] = Field(
        description="events waiting for approvals before they join the chain"
    )
    next_event: dict[str, int | str] = Field(description="sequence and previous hash the next event must carry")
    document: str = Field(description="the agreement exactly as proposed (compact JWS)")


class AgreementSubmitted(BaseModel):
    agreement: AgreementDetail
    receipt: ReceiptOut
    created: bool = Field(description="false when the identical document was already registered")


class AgreementEventSubmitted(BaseModel):
    """An event that joined the agreement's chain, or a proposal waiting for the parties it needs."""

    state: ProposalState
    event: AgreementEventOut
    approved_by: list[str] = Field(description="the parties whose signatures it carries so far")
    awaiting: list[str] = Field(description="the parties that must still approve it (empty once applied)")
    standing: Standing = Field(description="the agreement's standing now")
    receipt: ReceiptOut = Field(description="the receipt of the document this request logged")


class SubmitEventApproval(BaseModel):
    approval: str = Field(
        min_length=10, max_length=65_536, description="an AgreementEventApproval signed as a compact JWS"
    )


class AgreementPage(BaseModel):
    items: list[AgreementOut]
    next_cursor: str | None
