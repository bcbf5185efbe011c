"""Request bodies of the supply-chain writes, and the instants they carry.

Every body names its own `type` and the objects it is about, so that the exact bytes the registry logs
(the request body as received, see `ecolabel_registry.supply`) say on their own what was declared.
Unknown members are refused: a typo in a declaration must not pass silently into an audit trail.

Instants are RFC 3339 timestamps with a time zone, or bare dates meaning 00:00 UTC on that day.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, Field, PlainSerializer, StringConstraints, model_validator

from verification.identifiers import CountryCode, Gln, Gtin
from verification.payloads.certificate import HolderIdentifier
from verification.payloads.common import Names, Part, Sha256Hex, Text

_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
_TIMESTAMP = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})\Z")
INSTANT_PATTERN = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2}))?$"


def parse_instant(value: object) -> datetime:
    """A date (00:00 UTC that day) or an RFC 3339 timestamp with a zone, as an aware UTC datetime."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("times must carry a time zone")
        return value.astimezone(UTC)
    if isinstance(value, str) and _DATE.match(value):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    raise ValueError("expected a date (2025-06-01) or a timestamp with a time zone (2025-06-01T00:00:00Z)")


def format_instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


Instant = Annotated[
    datetime,
    BeforeValidator(parse_instant),
    PlainSerializer(format_instant, return_type=str),
    Field(json_schema_extra={"type": "string", "pattern": INSTANT_PATTERN}),
]
OrganisationId = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
TokenId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Unit = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_./%-]{1,16}$")]


class Scope(StrEnum):
    """What an organisation token may do. Reading a chain never implies writing to it."""

    READ = "supply:read"
    WRITE = "supply:write"
    GRANT = "supply:grant"  # give or take away auditors' read access


class EvidenceKind(StrEnum):
    INVOICE = "invoice"
    TRANSACTION_CERTIFICATE = "transaction_certificate"  # e.g. Textile Exchange / GOTS TC per shipment
    DELIVERY_NOTE = "delivery_note"
    CONTRACT = "contract"
    DOCUMENT = "document"


class Evidence(Part):
    """A reference to evidence held elsewhere: its number, and/or the SHA-256 of the document itself."""

    kind: EvidenceKind
    reference: ShortText | None = None
    sha256: Sha256Hex | None = None

    @model_validator(mode="after")
    def _says_something(self) -> Self:
        if self.reference is None and self.sha256 is None:
            raise ValueError("evidence needs a reference, a sha256, or both")
        return self


class PartyRef(Part):
    """An organisation named by its registry id or by one of its identifiers (exactly one of the two)."""

    organisation_id: OrganisationId | None = None
    identifier: HolderIdentifier | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.organisation_id is None) == (self.identifier is None):
            raise ValueError("name the organisation by organisation_id or by identifier, not both")
        return self


class FacilityRef(Part):
    facility_id: OrganisationId | None = None
    gln: Gln | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.facility_id is None) == (self.gln is None):
            raise ValueError("name the facility by facility_id or by gln, not both")
        return self


class Coordinates(Part):
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]


class Volume(Part):
    amount: Annotated[float, Field(gt=0, lt=1e15)]
    unit: Unit = Field(description="e.g. t, kg, m3, pcs; volumes are only ever added up within one unit")


class OrganisationRegistration(Part):
    type: Literal["Organisation"]
    names: Names = Field(description="the organisation's name by language tag, e.g. {'en': ..., 'zh': ...}")
    country: CountryCode
    identifiers: Annotated[list[HolderIdentifier], Field(max_length=20)] = Field(
        default_factory=list, description="LEI, GLN, USCC, VAT, DUNS, OSID or NATIONAL; check digits are verified"
    )

    @model_validator(mode="after")
    def _unique(self) -> Self:
        pairs = [(i.scheme, i.value) for i in self.identifiers]
        if len(set(pairs)) != len(pairs):
            raise ValueError("an identifier is listed twice")
        return self


class FacilityRegistration(Part):
    type: Literal["Facility"]
    organisation_id: OrganisationId
    name: Text
    address: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    country: CountryCode
    coordinates: Coordinates | None = None
    gln: Gln | None = None


class ProductRegistration(Part):
    type: Literal["Product"]
    organisation_id: OrganisationId
    name: Text
    gtin: Gtin = Field(description="GTIN-8/12/13/14 with a valid check digit; stored as 14 digits")
    model: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    category: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None


class LinkDeclaration(Part):
    """The buyer says: this supplier supplies us this product or material, in this period."""

    type: Literal["SupplyLinkDeclaration"]
    buyer_id: OrganisationId
    supplier: PartyRef
    supplier_facility: FacilityRef | None = None
    gtin: Gtin | None = Field(default=None, description="the product supplied; or give `material`")
    material: ShortText | None = None
    share: Annotated[float, Field(ge=0, le=1)] | None = Field(
        default=None, description="the share (0-1) of the buyer's need for this product or material"
    )
    volume: Volume | None = None
    valid_from: Instant = Field(description="first instant the link holds (inclusive)")
    valid_to: Instant | None = Field(default=None, description="first instant it no longer holds (exclusive)")
    occurred_at: Instant | None = Field(
        default=None, description="when the declared fact happened (EPCIS eventTime); default: when recorded"
    )
    evidence: Annotated[list[Evidence], Field(max_length=50)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.gtin is None) == (self.material is None):
            raise ValueError("a link is for one product (gtin) or one material, not both and not neither")
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be later than valid_from")
        return self


class LinkConfirmation(Part):
    """The supplier confirms exactly the declaration (and history) named by `previous`."""

    type: Literal["SupplyLinkConfirmation"]
    link: Sha256Hex
    previous: Sha256Hex = Field(description="SHA-256 of the link's latest document: see the link's next_event")
    occurred_at: Instant | None = None


class LinkDispute(Part):
    type: Literal["SupplyLinkDispute"]
    link: Sha256Hex
    previous: Sha256Hex
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    occurred_at: Instant | None = None


class TokenRequest(Part):
    type: Literal["OrganisationToken"]
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=3)]
    label: ShortText | None = None
    expires_at: Instant | None = None


class TokenRevocation(Part):
    type: Literal["OrganisationTokenRevocation"]
    token: TokenId


class GrantRequest(Part):
    type: Literal["AuditorGrant"]
    auditor: PartyRef
    valid_until: Instant = Field(description="the grant ends at this instant (exclusive)")


class GrantRevocation(Part):
    type: Literal["AuditorGrantRevocation"]
    grant: OrganisationId
