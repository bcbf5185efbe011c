"""Request and response shapes of the procurement checks."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, model_validator

from verification.identifiers import CountryCode

Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class AcceptedLabel(BaseModel):
    """A label the tender accepts: a programme, optionally narrowed to one category (and criteria version)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    programme: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]
    category: Code | None = None
    criteria_version: Code | None = None


class Requirement(BaseModel):
    """What the tender asks for: accepted labels, or a CPV / China procurement code via the crosswalk."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    accepted: Annotated[list[AcceptedLabel], Field(max_length=200)] = Field(default_factory=list)
    cpv: Annotated[str, StringConstraints(pattern=r"^\d{8}(-\d)?$")] | None = None
    cn_procurement: Annotated[str, StringConstraints(pattern=r"^[ABC]\d{2,14}$")] | None = None
    equivalents: bool = Field(default=True, description="accept labels recognised as equivalent (Art. 43)")
    markets: Annotated[list[CountryCode], Field(max_length=50)] = Field(
        default_factory=list, description="every listed market must be covered by the licence"
    )

    @model_validator(mode="after")
    def _names_something(self) -> Requirement:
        if not self.accepted and self.cpv is None and self.cn_procurement is None:
            raise ValueError("give accepted labels, a cpv code or a cn_procurement code")
        return self


class CatalogueLine(BaseModel):
    """One catalogue line: a certificate id, a programme + licence number, or a GTIN (with a model)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ref: Annotated[str, StringConstraints(max_length=100)] | None = Field(default=None, description="your line id")
    certificate_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None
    programme: Code | None = None
    licence_number: Code | None = None
    gtin: Annotated[str, StringConstraints(pattern=r"^\d{8,14}$")] | None = None
    model: Annotated[str, StringConstraints(max_length=100)] | None = None

    @model_validator(mode="after")
    def _one_way_to_name_it(self) -> CatalogueLine:
        # Runs for each of up to 10,000 items per request: plain arithmetic on booleans, no list.
        if (self.certificate_id is not None) + (self.licence_number is not None) + (self.gtin is not None) != 1:
            raise ValueError("name the item by exactly one of certificate_id, programme + licence_number, gtin")
        if (self.licence_number is None) != (self.programme is None):
            raise ValueError("licence_number needs programme")
        return self


class EligibilityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requirement: Requirement
    date: AwareDatetime | None = Field(default=None, description="the date to judge on (default: now)")
    items: Annotated[list[CatalogueLine], Field(min_length=1, max_length=10_000)]


class EligibilityAnswer(BaseModel):
    requirement: dict[str, Any]
    date: str
    checkpoint: str
    judged_at: dict[str, Any] = Field(description="the checkpoint judged at: tree_size and root_hash (base64)")
    eligible: int
    not_eligible: int
    results: list[dict[str, Any]] = Field(description="one result per item, in order (committed to by the decision)")
    decision: str = Field(description="registry-signed JWS committing to every result; keep it with the results")
    _results_json: bytes | None = PrivateAttr(default=None)

    @property
    def results_json(self) -> bytes | None:
        """`results` as the RFC 8785 JSON the decision hashed, when the check kept it (else None)."""
        return self._results_json

    def keep_results_json(self, encoded: bytes | None) -> EligibilityAnswer:
        self._results_json = encoded
        return self


class VerificationAnswer(BaseModel):
    certificate_id: str
    as_of: str
    decision: str
    reasons: list[str]
    status: str
    valid_from: str
    valid_until: str
    signature: dict[str, Any]
    signing_key: dict[str, Any]
    inclusion: dict[str, Any]
    judged_at: dict[str, Any] = Field(description="the checkpoint judged at: tree_size and root_hash (base64)")
    evidence: dict[str, Any] = Field(
        description="what was judged, by log position: the credential's leaf_index, the status_head "
        "(sequence, sha256, leaf_index) and the programme's key_head (sequence, leaf_index)"
    )
    signed_decision: str
