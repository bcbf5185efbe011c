"""Response shapes of the supply-chain records and of the writes that create them.

Times are the registry's log-time format (UTC, six fractional digits, `Z`), as everywhere else.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from ecolabel_registry.schemas import ReceiptOut
from ecolabel_registry.supply.schemas import Coordinates, Evidence, Scope


class LinkState(StrEnum):
    """Chain-of-custody practice (FSC claims platform): the buyer declares, the supplier accepts or objects."""

    DECLARED = "declared"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


class IdentifierOut(BaseModel):
    scheme: str
    value: str


class OrganisationOut(BaseModel):
    id: str
    names: dict[str, str]
    country: str
    identifiers: list[IdentifierOut]
    recorded_at: str
    leaf_index: int = Field(description="the log leaf of the registration document (a supply_chain leaf)")


class FacilityOut(BaseModel):
    id: str
    organisation_id: str
    name: str
    address: str
    country: str
    coordinates: Coordinates | None
    gln: str | None
    recorded_at: str
    leaf_index: int


class ProductOut(BaseModel):
    id: str
    organisation_id: str
    name: str
    gtin: str = Field(description="GTIN-14")
    model: str | None
    category: str | None
    recorded_at: str
    leaf_index: int


class OrganisationDetail(OrganisationOut):
    facilities: list[FacilityOut]
    products: list[ProductOut]


class LinkEventOut(BaseModel):
    sequence: int
    action: LinkState
    reason: str | None
    occurred_at: str
    recorded_at: str
    sha256: str = Field(description="hex SHA-256 of the event document as received")
    leaf_index: int


class NextLinkEvent(BaseModel):
    previous: str = Field(description="what the next confirmation or dispute must name as `previous`")


class LinkOut(BaseModel):
    id: str = Field(description="hex SHA-256 of the declaration as received")
    buyer_id: str
    supplier_id: str
    supplier_facility_id: str | None
    gtin: str | None
    material: str | None
    share: float | None
    volume: float | None
    unit: str | None
    valid_from: str = Field(description="inclusive")
    valid_to: str | None = Field(description="exclusive; null while the link is open-ended")
    evidence: list[Evidence]
    state: LinkState
    state_reason: str | None
    occurred_at: str = Field(description="when the declared fact happened (EPCIS eventTime)")
    recorded_at: str = Field(description="when the registry logged the declaration (EPCIS recordTime)")
    leaf_index: int
    events: list[LinkEventOut]
    next_event: NextLinkEvent


class LinkPage(BaseModel):
    items: list[LinkOut]
    next_cursor: str | None


class TokenOut(BaseModel):
    id: str
    organisation_id: str
    scopes: list[Scope]
    label: str | None
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    leaf_index: int


class GrantOut(BaseModel):
    id: str
    organisation_id: str = Field(description="whose chain the auditor may read")
    auditor_id: str
    valid_from: str
    valid_until: str = Field(description="exclusive")
    revoked_at: str | None
    leaf_index: int


class OrganisationRegistered(BaseModel):
    organisation: OrganisationOut
    receipt: ReceiptOut


class FacilityRegistered(BaseModel):
    facility: FacilityOut
    receipt: ReceiptOut


class ProductRegistered(BaseModel):
    product: ProductOut
    receipt: ReceiptOut


class LinkWritten(BaseModel):
    link: LinkOut
    receipt: ReceiptOut = Field(description="the receipt of the document this request logged (or first logged)")
    created: bool


class TokenIssued(BaseModel):
    token: str = Field(description="the secret bearer token: shown only in this response, stored only as a hash")
    details: TokenOut
    receipt: ReceiptOut


class TokenRevoked(BaseModel):
    details: TokenOut
    receipt: ReceiptOut


class GrantWritten(BaseModel):
    grant: GrantOut
    receipt: ReceiptOut


class GrantList(BaseModel):
    items: list[GrantOut]
