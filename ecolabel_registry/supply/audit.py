"""The audit report of an organisation's chain on a date.

- coverage per tier, by count of suppliers (a supplier's shortest tier) and by volume of links (a link's
  tier is its buyer's + 1), where `unknown` is reported beside `certified` and never counted as it;
  a link its supplier has not confirmed (declared or disputed) covers nothing: its volume counts as
  `unknown`, and so does a supplier reached only through such links (whose own suppliers are withheld,
  see `chain`). Both are also counted apart (`unconfirmed`, `unconfirmed_links`), so a report shows how
  much of its unknown is the suppliers' missing confirmation;
- certificates in the chain that expire within 30, 60 and 90 days of the date (cumulative lists);
- data gaps: organisations without any identifier, links the supplier has not confirmed or has disputed,
  links without a volume or share;
- the share of low-risk suppliers (`risk.LowRiskPolicy`), among direct suppliers and over all tiers;
- with `from` and `to`, what changed: the chain as of `from` against the chain as of `to`, and the
  confirmations and disputes that happened in [from, to).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection

from ecolabel_registry.errors import ValidationFailed
from ecolabel_registry.supply import auth, chain, link_repository
from ecolabel_registry.supply.answers import (
    AuditReport,
    CertificationChange,
    Changes,
    DataGaps,
    Expiring,
    ExpiringCertificate,
    LinkEventChange,
    LowRisk,
    LowRiskShare,
    RiskAssessment,
    TierCoverage,
    VolumeCoverage,
)
from ecolabel_registry.supply.certification import CertificateOnDate, Certification
from ecolabel_registry.supply.outputs import LinkState
from ecolabel_registry.supply.risk import LowRiskPolicy
from ecolabel_registry.supply.timeline import DAY_US
from verification.leaf import format_log_time

EXPIRY_WINDOWS_DAYS = (30, 60, 90)


@dataclass
class _Tier:
    suppliers: dict[Certification, int] = field(default_factory=lambda: dict.fromkeys(Certification, 0))
    unconfirmed: int = 0
    links: int = 0
    unconfirmed_links: int = 0
    volume: dict[str, dict[Certification, float]] = field(default_factory=dict)
    unconfirmed_volume: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    without_volume: int = 0


def audit(
    connection: Connection,
    principal: auth.Principal,
    organisation_id: str,
    *,
    at_us: int,
    depth: int,
    between: tuple[int, int] | None,
    policy: LowRiskPolicy,
    now_us: int,
) -> AuditReport:
    if between is not None and between[0] >= between[1]:
        raise ValidationFailed("`from` must be earlier than `to`", code="BAD_PERIOD")
    data = chain.load_for(connection, principal, organisation_id, at_us=at_us, depth=depth, now_us=now_us)
    return report(data, policy, changes(connection, data, between) if between else None)


def report(data: chain.ChainData, policy: LowRiskPolicy, found_changes: Changes | None) -> AuditReport:
    """The report of a loaded chain (and, when asked, of what changed)."""
    return AuditReport(
        organisation_id=data.root,
        as_of=format_log_time(data.at_us),
        depth=data.depth,
        truncated=data.truncated,
        tiers=tier_coverage(data),
        expiring=expiring(data),
        gaps=gaps(data),
        low_risk=low_risk(data, policy),
        changes=found_changes,
    )


def tier_coverage(data: chain.ChainData) -> list[TierCoverage]:
    tiers: dict[int, _Tier] = defaultdict(_Tier)
    for organisation_id, tier in data.tiers.items():
        if tier > 0:
            tiers[tier].suppliers[data.certification(organisation_id)] += 1
            tiers[tier].unconfirmed += organisation_id in data.withheld
    for link in data.links:
        counts = tiers[data.link_tier(link)]
        counts.links += 1
        counts.unconfirmed_links += not link.confirmed
        if link.volume is None or link.unit is None:
            counts.without_volume += 1
            continue
        by_state = counts.volume.setdefault(link.unit, dict.fromkeys(Certification, 0.0))
        by_state[data.link_coverage(link)] += link.volume  # unknown for an unconfirmed link
        if not link.confirmed:
            counts.unconfirmed_volume[link.unit] += link.volume
    return [_tier_out(number, tiers[number]) for number in sorted(tiers)]


def _tier_out(number: int, tier: _Tier) -> TierCoverage:
    count = sum(tier.suppliers.values())
    certified = tier.suppliers[Certification.CERTIFIED]
    return TierCoverage(
        tier=number,
        suppliers=count,
        certified=certified,
        not_certified=tier.suppliers[Certification.NOT_CERTIFIED],
        unknown=tier.suppliers[Certification.UNKNOWN],
        unconfirmed=tier.unconfirmed,
        share_certified=certified / count if count else None,
        links=tier.links,
        unconfirmed_links=tier.unconfirmed_links,
        by_volume=[
            VolumeCoverage(
                unit=unit,
                total=sum(volumes.values()),
                certified=volumes[Certification.CERTIFIED],
                not_certified=volumes[Certification.NOT_CERTIFIED],
                unknown=volumes[Certification.UNKNOWN],
                unconfirmed=tier.unconfirmed_volume[unit],
                share_certified=volumes[Certification.CERTIFIED] / sum(volumes.values()),
            )
            for unit, volumes in sorted(tier.volume.items())
        ],
        links_without_volume=tier.without_volume,
    )


def expiring(data: chain.ChainData) -> Expiring:
    holders: dict[str, set[str]] = defaultdict(set)
    gtins: dict[str, set[str]] = defaultdict(set)
    certificates: dict[str, CertificateOnDate] = {}
    for organisation_id, held in data.coverage.by_organisation.items():
        for certificate in held:
            holders[certificate.id].add(organisation_id)
            certificates[certificate.id] = certificate
    for gtin, listed in data.coverage.by_gtin.items():
        for certificate in listed:
            gtins[certificate.id].add(gtin)
            certificates[certificate.id] = certificate
    soon = sorted(
        (
            c
            for c in certificates.values()
            if c.active and c.valid_until_us - data.at_us <= max(EXPIRY_WINDOWS_DAYS) * DAY_US
        ),
        key=lambda c: (c.valid_until_us, c.id),
    )
    items = [
        ExpiringCertificate(
            certificate_id=c.id,
            programme_id=c.programme_id,
            licence_number=c.licence_number,
            organisation_ids=sorted(holders[c.id]),
            gtins=sorted(gtins[c.id]),
            valid_until=format_log_time(c.valid_until_us),
            days_left=(c.valid_until_us - data.at_us) // DAY_US,
        )
        for c in soon
    ]
    within = {
        days: [i for i, c in zip(items, soon, strict=True) if c.valid_until_us - data.at_us <= days * DAY_US]
        for days in EXPIRY_WINDOWS_DAYS
    }
    return Expiring(within_30_days=within[30], within_60_days=within[60], within_90_days=within[90])


def gaps(data: chain.ChainData) -> DataGaps:
    return DataGaps(
        organisations_without_identifier=sorted(o for o in data.tiers if not data.identifiers.get(o)),
        unconfirmed_links=sorted(link.id for link in data.links if link.state == LinkState.DECLARED.value),
        disputed_links=sorted(link.id for link in data.links if link.state == LinkState.DISPUTED.value),
        links_without_quantity=sorted(link.id for link in data.links if link.volume is None and link.share is None),
        links_without_evidence=sorted(link.id for link in data.links if link.evidence_count == 0),
    )


def low_risk(data: chain.ChainData, policy: LowRiskPolicy) -> LowRisk:
    assessed = policy.assess(data)
    rows = [
        RiskAssessment(organisation_id=o, tier=data.tiers[o], low_risk=not reasons, reasons=reasons)
        for o, reasons in sorted(assessed.items(), key=lambda item: (data.tiers[item[0]], item[0]))
    ]
    direct = [row for row in rows if row.tier == 1]
    return LowRisk(policy=policy.describe(), direct_suppliers=_share(direct), all_tiers=_share(rows), suppliers=rows)


def _share(rows: list[RiskAssessment]) -> LowRiskShare:
    low = sum(row.low_risk for row in rows)
    return LowRiskShare(suppliers=len(rows), low_risk=low, share=low / len(rows) if rows else None)


def changes(connection: Connection, data: chain.ChainData, between: tuple[int, int]) -> Changes:
    """The chain on `from` against the chain on `to`; a date equal to the report's reuses its chain (the
    usual question is "what changed up to today")."""
    start, end = between
    before = data if start == data.at_us else chain.load(connection, data.root, start, data.depth)
    after = data if end == data.at_us else chain.load(connection, data.root, end, data.depth)
    before_links = {link.id for link in before.links}
    after_links = {link.id for link in after.links}
    events = link_repository.events_between(connection, sorted(before_links | after_links), start, end)
    return Changes(
        from_=format_log_time(start),
        to=format_log_time(end),
        suppliers_added=sorted(set(after.tiers) - set(before.tiers)),
        suppliers_removed=sorted(set(before.tiers) - set(after.tiers)),
        links_added=sorted(after_links - before_links),
        links_removed=sorted(before_links - after_links),
        certification_changed=[
            CertificationChange(organisation_id=o, before=before.certification(o), after=after.certification(o))
            for o in sorted(set(before.tiers) & set(after.tiers))
            if before.certification(o) is not after.certification(o)
        ],
        link_events=[
            LinkEventChange(
                link_id=event["link_id"],
                action=LinkState(event["action"]),
                occurred_at=format_log_time(event["occurred_us"]),
                recorded_at=format_log_time(event["recorded_us"]),
            )
            for event in events
        ],
    )
