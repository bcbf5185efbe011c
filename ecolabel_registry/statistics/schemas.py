"""Response types of the statistics API: every answer names the checkpoint its figures were computed at."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class CertificateGroup(StrEnum):
    """How certificates are grouped; the crosswalk groups count a certificate under every code its
    category's criteria version lists (so their counts may add up to more than the total)."""

    TOTAL = "total"
    PROGRAMME = "programme"
    CATEGORY = "category"
    CRITERIA_VERSION = "criteria_version"
    COUNTRY = "country"
    PROGRAMME_COUNTRY = "programme_country"
    CPV = "cpv"
    HS = "hs"
    CN_PROCUREMENT = "cn_procurement"


class CheckpointRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    tree_size: int = Field(description="the log size the figures reflect: every leaf below it, none after")
    root_hash: str = Field(description="base64 RFC 9162 root hash of the log at that size")


class Crosswalk(BaseModel):
    cpv: list[str] = Field(default_factory=list)
    cn_procurement: list[str] = Field(default_factory=list)
    hs: list[str] = Field(default_factory=list)


class CertificateFigure(BaseModel):
    """One count; the fields of the group's key are set, the others are null."""

    programme: str | None = None
    category: str | None = None
    criteria_version: str | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2 of the licence holder")
    scheme: str | None = Field(default=None, description="crosswalk scheme, for the crosswalk groups")
    code: str | None = Field(default=None, description="crosswalk code, for the crosswalk groups")
    crosswalk: Crosswalk | None = Field(default=None, description="the category's codes, for group=category")
    status: str = Field(description="active, suspended, expired or withdrawn on the date (00:00 UTC)")
    count: int


class CertificateStatistics(BaseModel):
    checkpoint: CheckpointRef
    as_of: str = Field(description="the date counted, at 00:00 UTC")
    group: CertificateGroup
    items: list[CertificateFigure]


class SeriesPoint(BaseModel):
    month: str = Field(description="YYYY-MM; the count as of that month's last day")
    count: int


class SeriesLine(BaseModel):
    programme: str | None = None
    category: str | None = None
    criteria_version: str | None = None
    country: str | None = None
    status: str
    points: list[SeriesPoint]


class CertificateSeries(BaseModel):
    checkpoint: CheckpointRef
    group: CertificateGroup
    months: list[str]
    lines: list[SeriesLine]


class AgreementFigure(BaseModel):
    agreement_type: str
    standing: str
    count: int


class AgreementStatistics(BaseModel):
    checkpoint: CheckpointRef
    as_of: str
    items: list[AgreementFigure]


class MatrixCell(BaseModel):
    """Whether a certificate of `from_programme`'s `from_category` is accepted where `to_programme`'s
    `to_category` is required, on the date, and through which agreements (verification.recognition)."""

    model_config = ConfigDict(populate_by_name=True)

    from_programme: str
    from_category: str
    to_programme: str
    to_category: str
    decision: str
    agreement_types: list[str] = Field(description="the form of each hop: full, common_core, proxy_assessment")
    agreement_ids: list[str]
    conditions: list[str] = Field(description="what is still to meet: supplementary criteria, proxy notes")
    reasons: list[str] = Field(description="reason codes when not accepted")


class RecognitionMatrix(BaseModel):
    checkpoint: CheckpointRef
    as_of: str
    programmes: list[str]
    items: list[MatrixCell]


class ReachFigure(BaseModel):
    programme: str = Field(description="the programme whose certificates are counted")
    recognizer: str = Field(description="the programme in whose tenders they are accepted through agreements")
    certificates: int = Field(description="active certificates of `programme` accepted for a category of `recognizer`")
    active: int = Field(description="all active certificates of `programme` on the date")


class CrossBorderReach(BaseModel):
    checkpoint: CheckpointRef
    as_of: str
    items: list[ReachFigure]


class SupplyPairFigure(BaseModel):
    supplier_country: str = Field(description="ISO 3166-1 alpha-2 of the suppliers")
    buyer_country: str = Field(description="ISO 3166-1 alpha-2 of the buyers")
    links: int = Field(description="confirmed supply links in force on the month's first day")


class SupplyLinkStatistics(BaseModel):
    """Only cells of at least `minimum_group` buyers, suppliers and links; smaller ones are left out."""

    checkpoint: CheckpointRef
    month: str
    minimum_group: int
    items: list[SupplyPairFigure]
