"""A mutual-recognition agreement between eco-label programmes, as the proposing party signs it.

The agreement's id is the SHA-256 of its exact JWS bytes; the proposer's signature on it is that party's
signature, and every other party signs an `AgreementSignature` naming the id. It is in force only once
every party has signed (see `verification.agreements`).

Each scope mapping is directional: a certificate of `from` (a programme's category, within a range of
criteria versions) is recognised as equivalent to `to` (another party's category), and it counts only
where the agreement says that `to`'s programme recognises `from`'s (`recognitions`, or `mutual: true`).
Criteria versions compare as `verification.versions` documents.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictBool, StringConstraints, model_validator

from verification.identifiers import Tidy
from verification.payloads.common import Part, Payload, Slug, Text, Timestamp, programme_of_issuer
from verification.payloads.events import ProgrammeIssuer
from verification.versions import VersionRange

CategoryCode = Annotated[str, StringConstraints(min_length=1, max_length=64), Tidy]
Version = Annotated[str, StringConstraints(min_length=1, max_length=64), Tidy]


class AgreementType(StrEnum):
    """GEN's forms of mutual recognition, as far as a buyer's question depends on them."""

    FULL = "full"  # the recognised licence counts as the recognising programme's own
    COMMON_CORE = "common_core"  # shared core criteria only; the recogniser's supplementary criteria still apply
    PROXY_ASSESSMENT = "proxy_assessment"  # one programme assesses on the other's behalf


class CriteriaVersions(Part):
    min: Version | None = None
    max: Version | None = None

    @model_validator(mode="after")
    def _ordered(self) -> CriteriaVersions:
        VersionRange(self.min, self.max)  # the constructor is the check: it raises ValueError when unordered
        return self

    @property
    def range(self) -> VersionRange:
        return VersionRange(self.min, self.max)


class CategoryScope(Part):
    programme: Slug
    category: CategoryCode = Field(description="the programme's own category code, e.g. HJ 2536, No.112, 044")
    criteria_versions: CriteriaVersions = Field(default_factory=CriteriaVersions, alias="criteriaVersions")


class ScopeMapping(Part):
    """A certificate of `from` is recognised as equivalent to a certificate of `to`'s category."""

    from_: CategoryScope = Field(alias="from")
    to: CategoryScope


class Recognition(Part):
    recognizer: Slug
    recognized: Slug


class SupplementaryCriterion(Part):
    """A criterion the recognising programme still requires beyond the common core (common_core only)."""

    programme: Slug = Field(description="the recognising programme that requires it")
    category: CategoryCode | None = Field(default=None, description="its category this applies to; all if absent")
    criterion: Text


def _none_or_empty(member: str) -> dict[str, Any]:
    return {"anyOf": [{"not": {"required": [member]}}, {"properties": {member: {"maxItems": 0}}}]}


# What JSON Schema can say of `Agreement._consistent`; which parties a recognition or mapping may name is code's.
_AGREEMENT_RULES: dict[str, Any] = {
    "allOf": [
        {
            "if": {"required": ["mutual"], "properties": {"mutual": {"const": True}}},
            "then": _none_or_empty("recognitions"),
            "else": {"required": ["recognitions"], "properties": {"recognitions": {"minItems": 1}}},
        },
        {
            "if": {"properties": {"agreementType": {"const": "common_core"}}},
            "then": {"required": ["supplementaryCriteria"], "properties": {"supplementaryCriteria": {"minItems": 1}}},
            "else": _none_or_empty("supplementaryCriteria"),
        },
        {
            "if": {"not": {"properties": {"agreementType": {"const": "proxy_assessment"}}}},
            "then": {"anyOf": [{"not": {"required": ["proxyNote"]}}, {"properties": {"proxyNote": {"type": "null"}}}]},
        },
    ]
}


class Agreement(Payload):
    model_config = ConfigDict(json_schema_extra=_AGREEMENT_RULES)

    type: Literal["MutualRecognitionAgreement"]
    issuer: ProgrammeIssuer = Field(description="the party proposing the agreement; its signature counts as signing")
    title: Text | None = None
    parties: Annotated[list[Slug], Field(min_length=2, max_length=20, json_schema_extra={"uniqueItems": True})]
    mutual: StrictBool = Field(
        default=False, description="every party recognises every other (instead of recognitions)"
    )
    recognitions: Annotated[list[Recognition], Field(max_length=380, json_schema_extra={"uniqueItems": True})] = Field(
        default_factory=list
    )
    agreement_type: AgreementType = Field(alias="agreementType")
    scope: Annotated[list[ScopeMapping], Field(min_length=1, max_length=500)]
    supplementary_criteria: Annotated[list[SupplementaryCriterion], Field(max_length=500)] = Field(
        default_factory=list, alias="supplementaryCriteria"
    )
    proxy_note: Text | None = Field(
        default=None, alias="proxyNote", description="proxy_assessment: what the buyer must still check"
    )
    effective_from: Timestamp = Field(alias="effectiveFrom")
    effective_until: Timestamp | None = Field(
        default=None, alias="effectiveUntil", description="exclusive; open-ended if absent"
    )
    onward_recognition: StrictBool = Field(
        default=False,
        alias="onwardRecognition",
        description="recognition may be passed on through other agreements that allow it too (transitive)",
    )
    announcement: Text = Field(description="URL of, or reference to, the public announcement of the agreement")

    @property
    def programme_id(self) -> str:
        return programme_of_issuer(self.issuer) or ""

    def recognizes(self, recognizer: str, recognized: str) -> bool:
        """Whether `recognizer` recognises `recognized` under this agreement."""
        if recognizer == recognized or recognizer not in self.parties or recognized not in self.parties:
            return False
        return self.mutual or any(r.recognizer == recognizer and r.recognized == recognized for r in self.recognitions)

    @model_validator(mode="after")
    def _consistent(self) -> Agreement:
        if len(set(self.parties)) != len(self.parties):
            raise ValueError("parties must not repeat")
        if self.programme_id not in self.parties:
            raise ValueError("the issuer must be one of the parties")
        if self.mutual == bool(self.recognitions):
            raise ValueError("give either mutual: true or a list of recognitions, not both and not neither")
        pairs = [(r.recognizer, r.recognized) for r in self.recognitions]
        if len(set(pairs)) != len(pairs):
            raise ValueError("recognitions must not repeat")
        for recognizer, recognized in pairs:
            if recognizer == recognized or not {recognizer, recognized} <= set(self.parties):
                raise ValueError(f"recognition {recognizer} -> {recognized} must name two different parties")
        for index, mapping in enumerate(self.scope):
            if not self.recognizes(mapping.to.programme, mapping.from_.programme):
                raise ValueError(
                    f"scope[{index}] maps {mapping.from_.programme} to {mapping.to.programme}, "
                    "but the agreement does not say that the second recognises the first"
                )
        if self.effective_until is not None and self.effective_until <= self.effective_from:
            raise ValueError("effectiveUntil must be later than effectiveFrom")
        self._check_type_extras()
        return self

    def _check_type_extras(self) -> None:
        if (self.agreement_type is AgreementType.COMMON_CORE) != bool(self.supplementary_criteria):
            raise ValueError("supplementaryCriteria are required for common_core and only for common_core")
        if self.proxy_note is not None and self.agreement_type is not AgreementType.PROXY_ASSESSMENT:
            raise ValueError("proxyNote belongs to proxy_assessment agreements only")
        targets = {(m.to.programme, m.to.category) for m in self.scope}
        for item in self.supplementary_criteria:
            if not any(p == item.programme and item.category in (None, c) for p, c in targets):
                where = f"{item.programme} {item.category}" if item.category else item.programme
                raise ValueError(f"a supplementary criterion names {where}, which recognises nothing in the scope")
