"""The shape of `world.json`, validated where it enters: a typo in the data file fails before anything is signed.

The file holds hand-written facts (programmes, categories, agreements, organisations and their supply
links) and the parameters from which `generate` derives thousands of certificates deterministically.
Every entry that states something about a real programme says where it comes from (`source`,
`announcement`) and lists in `unconfirmed` what is a modelling assumption.
"""

from __future__ import annotations

import string
from datetime import UTC, date, datetime
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, Self

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from verification.payloads import AgreementChange, AgreementType, StatusChange

Key = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LicenceFormat(Spec):
    """How a programme writes licence numbers; `confirmed: false` marks a demo format (not the programme's)."""

    template: str = Field(description="str.format fields: country, group, year, number")
    confirmed: bool
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _known_fields(self) -> Self:
        unknown = self.fields - {"country", "group", "year", "number"}
        if unknown or "number" not in self.fields:
            raise ValueError(f"licence template {self.template!r} must use {{number}} and only known fields")
        if self.confirmed == (self.source is None):
            raise ValueError("a confirmed licence format names its source; an unconfirmed one does not")
        return self

    @property
    def fields(self) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(self.template) if name}


class Criteria(Spec):
    id: str
    version: str
    valid_from: date
    valid_until: date | None = None
    transition_end: date | None = None


class Crosswalk(Spec):
    cpv: list[str] = Field(default_factory=list)
    cn_procurement: list[str] = Field(default_factory=list)
    hs: list[str] = Field(default_factory=list)


class CategorySpec(Spec):
    code: str
    licence_group: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,12}$")]
    certificates: Annotated[int, Field(ge=0, le=100_000)] = Field(description="how many licences to generate")
    names: dict[str, str]
    criteria: Annotated[list[Criteria], Field(min_length=1)]
    crosswalk: Crosswalk = Field(default_factory=Crosswalk)
    products: Annotated[list[str], Field(min_length=1)]
    description: str | None = None
    unconfirmed: list[str] = Field(default_factory=list)


class ProgrammeSpec(Spec):
    id: Key
    names: dict[str, str]
    countries: list[str]
    website: str | None = None
    gen_member: bool
    source: str
    licence_format: LicenceFormat
    holder_countries: Annotated[list[str], Field(min_length=1)]
    unconfirmed: list[str] = Field(default_factory=list)
    categories: Annotated[list[CategorySpec], Field(min_length=1)]

    def category(self, code: str) -> CategorySpec:
        for category in self.categories:
            if category.code == code:
                return category
        raise ValueError(f"programme {self.id} has no category {code!r}")


class ScopeEnd(Spec):
    programme: Key
    category: str
    versions: dict[Literal["min", "max"], str] | None = None


class ScopeSpec(Spec):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    from_: ScopeEnd = Field(alias="from")
    to: ScopeEnd


class AgreementEventSpec(Spec):
    by: Key
    change: AgreementChange
    effective_at: AwareDatetime
    effective_until: AwareDatetime | None = None
    reason: str


class AgreementSpec(Spec):
    key: Key
    title: str
    proposer: Key
    parties: list[Key]
    mutual: bool = False
    recognitions: list[dict[Literal["recognizer", "recognized"], Key]] = Field(default_factory=list)
    type: AgreementType
    scope: list[ScopeSpec]
    supplementary_criteria: list[dict[str, str]] = Field(default_factory=list)
    proxy_note: str | None = None
    effective_from: AwareDatetime
    effective_until: AwareDatetime | None = None
    announcement: str
    note: str = Field(description="what is as published and what is a modelling assumption")
    events: list[AgreementEventSpec] = Field(default_factory=list)


class IdentifierSpec(Spec):
    """An identifier whose '?' characters are check characters computed by `demo.identifiers`."""

    scheme: Literal["LEI", "GLN", "USCC", "VAT", "DUNS", "NATIONAL"]
    value: str
    kind: str | None = Field(default=None, description="for NATIONAL: which national number (see identifiers.py)")


class FacilitySpec(Spec):
    key: Key
    name: str
    address: str
    country: str
    gln: str = Field(description="also how a rerun recognises the facility")
    coordinates: dict[Literal["latitude", "longitude"], float] | None = None


class ProductSpec(Spec):
    key: Key
    name: str
    model: str
    gtin: str
    category: str


class HistoryEntry(Spec):
    status: StatusChange
    at: date
    reason: str
    valid_until: date | None = None


class NamedCertificate(Spec):
    """A licence held by a supply-chain organisation, so that its chain shows real coverage."""

    programme: Key
    category: str
    products: list[Key] = Field(description="keys of the organisation's products")
    product_names: list[str] = Field(default_factory=list, description="products without a GTIN")
    valid_from: date
    history: list[HistoryEntry] = Field(default_factory=list)


class OrganisationSpec(Spec):
    key: Key
    names: dict[str, str]
    country: str
    identifiers: list[IdentifierSpec]
    facilities: list[FacilitySpec] = Field(default_factory=list)
    products: list[ProductSpec] = Field(default_factory=list)
    certificates: list[NamedCertificate] = Field(default_factory=list)


class LinkSpec(Spec):
    buyer: Key
    supplier: Key
    product: Key | None = None
    material: str | None = None
    supplier_facility: Key | None = None
    share: float | None = None
    volume: dict[Literal["amount", "unit"], float | str] | None = None
    valid_from: date
    valid_to: date | None = None
    evidence: list[dict[Literal["kind", "reference", "sha256"], str]] = Field(default_factory=list)
    answer: Literal["confirm", "dispute"] | None = None
    dispute_reason: str | None = None


class GrantSpec(Spec):
    organisation: Key
    auditor: Key
    valid_for_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        description="grants end relative to the load, since a registry refuses a grant that has already ended"
    )


class Fractions(Spec):
    suspended: float
    reinstated_after_suspension: float
    withdrawn_after_suspension: float
    withdrawn: float
    renewed: float


class Generation(Spec):
    seed: str
    issued_from: date
    issued_until: date
    validity_years: Annotated[int, Field(ge=1, le=10)]
    products_per_licence: tuple[int, int]
    licences_per_holder: Annotated[int, Field(ge=1)]
    lei_every: Annotated[int, Field(ge=1)]
    fractions: Fractions
    batch_size: Annotated[int, Field(ge=1, le=10_000)]


class Reasons(Spec):
    suspended: list[str]
    reinstated: list[str]
    withdrawn: list[str]
    withdrawn_after_suspension: list[str]
    renewed: list[str]
    expired: str


class NameParts(Spec):
    """Invented holder names: a stem and a legal form, each in Latin script or as (Latin, local) pairs."""

    stems: list[str | tuple[str, str]]
    forms: list[str | tuple[str, str]]
    language: str | None = None
    demo_suffix: str | None = None


class World(Spec):
    demo: Literal[True]
    notice: str
    identifier_note: str
    reference_date: date = Field(description="the demo world's 'today': no generated event is effective later")
    credential_description: str
    registration_note: str
    generation: Generation
    reasons: Reasons
    gs1_prefixes: dict[str, str]
    holder_names: dict[str, NameParts]
    programmes: list[ProgrammeSpec]
    agreements: list[AgreementSpec]
    organisations: list[OrganisationSpec]
    supply_links: list[LinkSpec]
    auditor_grants: list[GrantSpec]

    @cached_property
    def programme_by_id(self) -> dict[str, ProgrammeSpec]:
        return {programme.id: programme for programme in self.programmes}

    @cached_property
    def organisation_by_key(self) -> dict[str, OrganisationSpec]:
        return {organisation.key: organisation for organisation in self.organisations}

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        programmes = {p.id: p for p in self.programmes}

        def category(programme: str, code: str) -> None:
            if programme not in programmes:
                raise ValueError(f"no programme {programme!r} in the world")
            programmes[programme].category(code)  # raises ValueError for an unknown code

        for agreement in self.agreements:
            for mapping in agreement.scope:
                for end in (mapping.from_, mapping.to):
                    category(end.programme, end.category)
        organisations = {o.key for o in self.organisations}
        for link in self.supply_links:
            if {link.buyer, link.supplier} - organisations:
                raise ValueError(f"supply link {link.buyer} <- {link.supplier} names an unknown organisation")
        for organisation in self.organisations:
            for certificate in organisation.certificates:
                category(certificate.programme, certificate.category)
        return self


def load_world(path: Path | None = None) -> World:
    """The demo world: `path`, or the `world.json` shipped inside this package."""
    data = path.read_bytes() if path else resources.files(__package__).joinpath("world.json").read_bytes()
    return World.model_validate(orjson.loads(data))


def as_datetime(day: date) -> datetime:
    """A date as 00:00 UTC that day, the convention of every generated timestamp."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
