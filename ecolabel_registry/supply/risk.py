"""Low-risk suppliers, for the share that China's green supply-chain index scores (低风险供应商占比).

MIIT's index (supplier management, 20 of 100 points) scores the share of low-risk suppliers but leaves
the definition of "low-risk" to the evaluation, so it is explicit and configurable here. A supplier in the
chain is low-risk on date D when every condition the deployment switches on holds:

1. it has at least one identifier of a scheme that can be checked (`supply_low_risk_schemes`; by default
   LEI, USCC, GLN, DUNS, VAT — not OSID or NATIONAL, whose values the registry checks only for format);
2. it holds a certificate that is active on D (`supply_low_risk_requires_certificate`), still valid at
   least `supply_low_risk_min_days_valid` days after D;
3. every link through which it supplies the chain on D was confirmed by it
   (`supply_low_risk_requires_confirmed_links`): a declared or disputed link is unverified.

Anything the registry cannot establish counts against low-risk, never for it. So a supplier the chain
reaches only through links it has not confirmed (a withheld node, see `chain`) is never low-risk, whatever
the settings: `LINK_NOT_CONFIRMED` is always among its reasons, as nothing about it was established for
this chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecolabel_registry.settings import Settings
from ecolabel_registry.supply.chain import ChainData
from ecolabel_registry.supply.outputs import LinkState
from ecolabel_registry.supply.timeline import DAY_US


@dataclass(frozen=True)
class LowRiskPolicy:
    identifier_schemes: frozenset[str]
    requires_certificate: bool
    requires_confirmed_links: bool
    min_days_valid: int

    @classmethod
    def from_settings(cls, settings: Settings) -> LowRiskPolicy:
        return cls(
            identifier_schemes=frozenset(scheme.value for scheme in settings.supply_low_risk_schemes),
            requires_certificate=settings.supply_low_risk_requires_certificate,
            requires_confirmed_links=settings.supply_low_risk_requires_confirmed_links,
            min_days_valid=settings.supply_low_risk_min_days_valid,
        )

    def describe(self) -> dict[str, object]:
        return {
            "identifier_schemes": sorted(self.identifier_schemes),
            "requires_active_certificate": self.requires_certificate,
            "requires_confirmed_links": self.requires_confirmed_links,
            "min_days_valid": self.min_days_valid,
        }

    def assess(self, data: ChainData) -> dict[str, list[str]]:
        """supplier -> why it is not low-risk on the chain's date (an empty list: it is low-risk)."""
        unconfirmed = {link.supplier_id for link in data.links if link.state != LinkState.CONFIRMED.value}
        horizon = data.at_us + self.min_days_valid * DAY_US
        assessed: dict[str, list[str]] = {}
        for organisation_id, tier in data.tiers.items():
            if tier == 0:
                continue
            reasons: list[str] = []
            schemes = {scheme for scheme, _ in data.identifiers.get(organisation_id, [])}
            if self.identifier_schemes and not schemes & self.identifier_schemes:
                reasons.append("NO_VERIFIED_IDENTIFIER")
            held = data.coverage.by_organisation.get(organisation_id, [])
            if self.requires_certificate and not any(c.active and c.valid_until_us > horizon for c in held):
                reasons.append("NO_ACTIVE_CERTIFICATE")
            if organisation_id in data.withheld or (self.requires_confirmed_links and organisation_id in unconfirmed):
                reasons.append("LINK_NOT_CONFIRMED")
            assessed[organisation_id] = reasons
        return assessed
