"""Response shapes of the supply-chain queries: the upstream chain, the audit report and the impact answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ecolabel_registry.supply.certification import Certification
from ecolabel_registry.supply.outputs import IdentifierOut, LinkState
from verification.status import CertificateStatus


class CertificateOnDateOut(BaseModel):
    id: str
    programme_id: str
    licence_number: str
    category_code: str
    status: CertificateStatus = Field(description="status on the query's date")
    valid_until: str = Field(description="end of validity as known on that date (after renewals)")
    superseded_by: str | None


class ChainNode(BaseModel):
    organisation_id: str
    names: dict[str, str]
    country: str
    identifiers: list[IdentifierOut]
    tier: int = Field(description="shortest distance from the queried organisation (0); 1 = direct suppliers")
    path: list[str] = Field(description="organisation ids along one shortest path, queried organisation first")
    certification: Certification = Field(
        description="unknown when the organisation has no identifier to match, or when its upstream is withheld"
    )
    certificates: list[CertificateOnDateOut] = Field(
        description="certificates whose holder carries its identifiers (none for a withheld node)"
    )
    upstream_withheld: bool = Field(
        description="true when the chain reaches this supplier only through links it has not confirmed (declared "
        "or disputed): it is shown by its public identity alone (names, country, identifiers), and its own "
        "suppliers, facilities, products and certificates are not part of this chain"
    )


class FacilityBrief(BaseModel):
    id: str
    name: str
    country: str
    gln: str | None


class ProductBrief(BaseModel):
    gtin: str
    name: str | None = Field(
        description="null unless the product was registered by the queried organisation or by one reached "
        "through links its supplier confirmed"
    )
    model: str | None


class ChainLink(BaseModel):
    id: str
    supplier_id: str
    buyer_id: str
    tier: int = Field(description="the buyer's tier + 1")
    supplier_facility: FacilityBrief | None = Field(
        description="the facility named, when its organisation is on the chain through confirmed links"
    )
    product: ProductBrief | None
    material: str | None
    share: float | None
    volume: float | None
    unit: str | None
    valid_from: str
    valid_to: str | None
    state: LinkState = Field(
        description="confirmed: the chain continues to the supplier's own suppliers; declared (not yet "
        "confirmed) or disputed: the supplier is shown by its public identity and the chain stops there"
    )
    coverage: Certification = Field(
        description="product links: a certificate listing the GTIN is active; material links: the supplier's; "
        "always unknown for a link its supplier has not confirmed"
    )
    product_certificates: list[CertificateOnDateOut] = Field(description="none for a link not confirmed")
    evidence_count: int = Field(description="evidence references declared; GET /v1/supply-links/{id} lists them")


class Cycle(BaseModel):
    organisations: list[str] = Field(description="the cycle, first organisation repeated at the end")
    closing_link: str = Field(description="the link that leads back to an organisation already on the path")


class SupplyChain(BaseModel):
    """An organisation's upstream chain on one date: who supplied whom, tier by tier, with certification."""

    organisation_id: str
    as_of: str
    depth: int
    truncated: bool = Field(description="true when links continue beyond `depth`")
    nodes: list[ChainNode] = Field(description="the queried organisation first (tier 0), then by tier")
    links: list[ChainLink] = Field(description="every link among the nodes that holds on `as_of`")
    cycles: list[Cycle] = Field(description="cycles met (reported, never followed twice)")


class VolumeCoverage(BaseModel):
    unit: str
    total: float
    certified: float
    not_certified: float
    unknown: float
    unconfirmed: float = Field(description="of `unknown`: volume on links their supplier has not confirmed")
    share_certified: float


class TierCoverage(BaseModel):
    tier: int
    suppliers: int
    certified: int
    not_certified: int
    unknown: int = Field(description="no identifier, or upstream withheld: never counted as certified")
    unconfirmed: int = Field(
        description="of `unknown`: suppliers reached only through links they have not confirmed (declared or "
        "disputed); their certification is not established for this chain and their own suppliers are not shown"
    )
    share_certified: float | None = Field(description="certified / suppliers; null for an empty tier")
    links: int
    unconfirmed_links: int = Field(description="links their supplier has not confirmed: their coverage is unknown")
    by_volume: list[VolumeCoverage] = Field(description="by unit: volumes of different units are never added")
    links_without_volume: int = Field(description="their volume is unknown, so it counts in no total")


class ExpiringCertificate(BaseModel):
    certificate_id: str
    programme_id: str
    licence_number: str
    organisation_ids: list[str] = Field(description="organisations in the chain it certifies (as holder)")
    gtins: list[str] = Field(description="products in the chain it certifies")
    valid_until: str
    days_left: int


class Expiring(BaseModel):
    within_30_days: list[ExpiringCertificate]
    within_60_days: list[ExpiringCertificate]
    within_90_days: list[ExpiringCertificate] = Field(description="each list includes the shorter ones")


class DataGaps(BaseModel):
    organisations_without_identifier: list[str]
    unconfirmed_links: list[str] = Field(description="declared by the buyer, not (yet) confirmed by the supplier")
    disputed_links: list[str]
    links_without_quantity: list[str] = Field(description="neither volume nor share given")
    links_without_evidence: list[str] = Field(description="no invoice, transaction certificate or document named")


class RiskAssessment(BaseModel):
    organisation_id: str
    tier: int
    low_risk: bool
    reasons: list[str] = Field(description="why not low-risk: NO_VERIFIED_IDENTIFIER, NO_ACTIVE_CERTIFICATE …")


class LowRiskShare(BaseModel):
    suppliers: int
    low_risk: int
    share: float | None


class LowRisk(BaseModel):
    """China's green supply-chain index (MIIT): the share of low-risk suppliers (低风险供应商占比)."""

    policy: dict[str, object] = Field(description="the deployment's definition of low-risk (settings)")
    direct_suppliers: LowRiskShare
    all_tiers: LowRiskShare
    suppliers: list[RiskAssessment]


class CertificationChange(BaseModel):
    organisation_id: str
    before: Certification
    after: Certification


class LinkEventChange(BaseModel):
    link_id: str
    action: LinkState
    occurred_at: str
    recorded_at: str


class Changes(BaseModel):
    """What differs between the chain as of `from` and as of `to`, and what happened in between."""

    from_: str = Field(alias="from")
    to: str
    suppliers_added: list[str]
    suppliers_removed: list[str]
    links_added: list[str]
    links_removed: list[str]
    certification_changed: list[CertificationChange]
    link_events: list[LinkEventChange] = Field(description="confirmations and disputes that happened in [from, to)")

    model_config = {"populate_by_name": True}


class AuditReport(BaseModel):
    organisation_id: str
    as_of: str
    depth: int
    truncated: bool
    tiers: list[TierCoverage]
    expiring: Expiring
    gaps: DataGaps
    low_risk: LowRisk
    changes: Changes | None


class ImpactedOrganisation(BaseModel):
    organisation_id: str
    names: dict[str, str]
    distance: int = Field(description="links between the certificate's holder or product and this organisation")
    path: list[str] = Field(description="organisations from the certified supplier to this one")
    links: list[str] = Field(description="the links along `path`")


class Impact(BaseModel):
    """Who depends downstream on a certificate, on one date, through links their suppliers confirmed."""

    certificate_id: str
    status: CertificateStatus = Field(description="the certificate's status on `as_of`")
    as_of: str
    restricted: bool = Field(
        description="true unless the caller is the operator: only organisations whose chains the caller may "
        "read (itself, and those that granted it audit access) are listed"
    )
    gtins: list[str] = Field(description="products the certificate lists")
    directly_covered_links: list[str] = Field(
        description="confirmed links the certificate covers (within what is listed); an unconfirmed link covers nothing"
    )
    affected: list[ImpactedOrganisation]
