"""Response shapes for equivalence answers: the decision, and everything needed to check or archive it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ecolabel_registry.agreements.schemas import CategoryScopeOut
from verification.recognition import ConditionKind, Decision, ReasonCode
from verification.status import CertificateStatus


class SubjectOut(BaseModel):
    certificate_id: str | None
    programme: str
    category: str | None = Field(description="null: any category of the programme")
    criteria_version: str | None = Field(description="null: any criteria version")
    status: CertificateStatus | None = Field(description="the certificate's status on the date; null for a category")
    signing_key_valid: bool | None = Field(description="whether its signing key still vouches for it")


class RequirementOut(BaseModel):
    accepted: list[str] = Field(description="the accepted programme:category pairs")
    cpv: str | None = Field(description="the CPV code the pairs were found by, through the category crosswalk")
    cn_procurement: str | None = Field(description="the China procurement item code the pairs were found by")


class HopOut(BaseModel):
    agreement_id: str
    title: str | None
    announcement: str = Field(description="the agreement's public announcement")
    agreement_type: str
    onward_recognition: bool
    mapping_index: int = Field(description="position of the mapping used in the agreement's scope")
    from_: CategoryScopeOut = Field(alias="from")
    to: CategoryScopeOut

    model_config = {"populate_by_name": True}


class ConditionOut(BaseModel):
    kind: ConditionKind
    agreement_id: str
    programme: str = Field(description="the recognising programme whose requirement this is")
    category: str
    criteria: list[str] = Field(description="supplementary criteria still to meet (common_core)")
    note: str


class ReasonOut(BaseModel):
    code: ReasonCode
    detail: str
    agreement_id: str | None


class EquivalenceOut(BaseModel):
    decision: Decision
    accepted: bool
    date: str = Field(description="the instant the question is about (when the facts were true)")
    known_at: str | None = Field(description="only what the registry had logged by then counted")
    subject: SubjectOut
    requirement: RequirementOut
    path: list[HopOut] = Field(description="the agreements and mappings used, in order (empty unless through one)")
    conditions: list[ConditionOut] = Field(description="what the buyer must still check")
    reasons: list[ReasonOut] = Field(description="why not (empty when accepted)")
    explanation: str = Field(description="the answer in one paragraph")
    judged_at: dict[str, Any] = Field(description="the checkpoint judged at: tree_size and root_hash (base64)")
    evidence: dict[str, Any] | None = Field(
        description="for a certificate: what its standing was judged from, by log position (leaf_index, "
        "status_head, key_head), as in eligibility results; null for a category"
    )
    agreement_heads: list[dict[str, Any]] = Field(
        description="each agreement on the path as relied on: agreement_id, leaf_index and event_head "
        "(sequence, sha256, leaf_index)"
    )
