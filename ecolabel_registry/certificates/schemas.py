"""Request and response shapes for certificates (separate from the signed payloads and the tables)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field

from ecolabel_registry.schemas import ReceiptOut
from verification.status import CertificateStatus

Jws = Annotated[str, Field(min_length=1, max_length=262_144, description="a compact JWS")]


class SubmitCredential(BaseModel):
    credential: Jws = Field(description="an EcoLabelCertificate VC signed as a compact JWS (typ vc+jwt)")


class SubmitBatch(BaseModel):
    credentials: Annotated[list[Jws], Field(min_length=1)] = Field(description="up to the configured batch size")


class SubmitEvent(BaseModel):
    event: Jws = Field(description="a CertificateStatusEvent signed as a compact JWS (typ ecolabel-status-event+jwt)")


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class CategoryRef(BaseModel):
    code: str
    criteria_version: str


class IdentifierOut(BaseModel):
    scheme: str
    value: str


class HolderOut(BaseModel):
    name: str
    country: str
    identifiers: list[IdentifierOut]


class CertifiedProduct(BaseModel):
    name: str
    brand: str | None
    model: str | None
    gtin: str | None = Field(description="GTIN-14 (shorter GTINs padded with leading zeros)")


class EventOut(BaseModel):
    sequence: int
    status: str
    effective_at: str
    reason: str
    valid_until: str | None
    sha256: str = Field(description="SHA-256 of the event's exact JWS bytes: the next event names it as previous")
    signing_kid: str
    leaf_index: int
    integrated_at: str


class CertificateOut(BaseModel):
    id: str = Field(description="hex SHA-256 of the credential's exact JWS bytes")
    programme_id: str
    licence_number: str
    category: CategoryRef
    holder: HolderOut
    products: list[CertifiedProduct]
    valid_from: str
    valid_until: str = Field(description="the end of validity on the status date, renewals included")
    status: CertificateStatus = Field(description="status on `status_at` (the as_of date, or now)")
    status_at: str
    supersedes: str | None
    superseded_by: str | None
    signing_kid: str
    leaf_index: int
    integrated_at: str


class SigningKeyCheck(BaseModel):
    kid: str
    status: str
    valid_for_this_certificate: bool
    code: str | None = Field(description="why not, e.g. SIGNING_KEY_REVOKED")


class CertificateDetail(CertificateOut):
    history: list[EventOut]
    next_event: dict[str, Any] = Field(description="sequence and previous hash the next status event must carry")
    signing_key: SigningKeyCheck
    credential: str = Field(description="the credential exactly as submitted (compact JWS)")


class CertificateSubmitted(BaseModel):
    certificate: CertificateOut
    receipt: ReceiptOut
    created: bool = Field(description="false when the identical credential was already registered")


class BatchItem(BaseModel):
    index: int
    outcome: Outcome
    certificate_id: str | None
    receipt: ReceiptOut | None
    problem: dict[str, Any] | None = Field(description="an RFC 9457 problem document when rejected")


class BatchResult(BaseModel):
    results: list[BatchItem]
    accepted: int
    duplicates: int
    rejected: int


class EventSubmitted(BaseModel):
    event: EventOut
    status: CertificateStatus = Field(description="the certificate's status now")
    receipt: ReceiptOut


class CertificatePage(BaseModel):
    items: list[CertificateOut]
    next_cursor: str | None
