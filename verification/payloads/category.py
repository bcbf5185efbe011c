"""A programme's product category with one criteria version and its procurement crosswalk codes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from verification.identifiers import Tidy
from verification.payloads.common import Names, Part, Payload, Text, Timestamp, programme_of_issuer
from verification.payloads.events import ProgrammeIssuer

Cpv = Annotated[str, StringConstraints(pattern=r"^\d{8}(-\d)?$")]  # EU Common Procurement Vocabulary
CnProcurementCode = Annotated[str, StringConstraints(pattern=r"^[ABC]\d{2,14}$")]  # 财库 item codes, e.g. A02010104
HsCode = Annotated[str, StringConstraints(pattern=r"^\d{4}(\d{2}){0,3}$")]  # WCO Harmonized System, 4-10 digits


class CriteriaDocument(Part):
    id: Annotated[str, StringConstraints(min_length=1, max_length=100), Tidy] = Field(
        description="the criteria document, e.g. DE-UZ 215, HJ 2536, 2014/312/EU"
    )
    version: Annotated[str, StringConstraints(min_length=1, max_length=64), Tidy]
    valid_from: Timestamp = Field(alias="validFrom")
    valid_until: Timestamp | None = Field(default=None, alias="validUntil")
    transition_end: Timestamp | None = Field(
        default=None, alias="transitionEnd", description="licences on this version lapse after this instant"
    )

    @model_validator(mode="after")
    def _ordered(self) -> CriteriaDocument:
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValueError("criteria validUntil must be later than validFrom")
        if self.transition_end is not None and self.transition_end < (self.valid_until or self.valid_from):
            raise ValueError("transitionEnd cannot come before the criteria stop being valid")
        return self


class Crosswalk(Part):
    cpv: Annotated[list[Cpv], Field(max_length=100)] = Field(default_factory=list)
    cn_procurement: Annotated[list[CnProcurementCode], Field(max_length=100)] = Field(
        default_factory=list, alias="cnProcurement"
    )
    hs: Annotated[list[HsCode], Field(max_length=100)] = Field(default_factory=list)


class CategoryDefinition(Payload):
    type: Literal["CategoryDefinition"]
    issuer: ProgrammeIssuer
    code: Annotated[str, StringConstraints(min_length=1, max_length=64), Tidy] = Field(
        description="the programme's own category code: 044, DE-UZ 198, HJ 2536, No.112 …"
    )
    names: Annotated[Names, Field(json_schema_extra={"required": ["en"]})]
    criteria: CriteriaDocument
    crosswalk: Crosswalk = Field(default_factory=Crosswalk)
    description: Text | None = None

    @field_validator("names")
    @classmethod
    def _english_name(cls, names: dict[str, str]) -> dict[str, str]:
        if "en" not in names:
            raise ValueError('names must include "en"')
        return names

    @property
    def programme_id(self) -> str:
        return programme_of_issuer(self.issuer) or ""
