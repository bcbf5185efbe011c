"""Chain queries: upstream tiers, exports, the audit report and the downstream impact of a certificate."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response

from ecolabel_registry.api.deps import ContextDep, OrganisationPrincipal
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.api.supply.params import (
    _READ,
    AsOf,
    CertificateId,
    Depth,
    OrganisationId,
    _at,
    _depth,
    _snapshot,
)
from ecolabel_registry.clock import now_us
from ecolabel_registry.errors import (
    ValidationFailed,
)
from ecolabel_registry.supply import audit as audits
from ecolabel_registry.supply import (
    chain,
    downloads,
    impact,
)
from ecolabel_registry.supply.answers import AuditReport, Impact, SupplyChain
from ecolabel_registry.supply.downloads import MEDIA_TYPES, ExportFormat
from ecolabel_registry.supply.risk import LowRiskPolicy
from ecolabel_registry.supply.schemas import (
    INSTANT_PATTERN,
)

router = APIRouter(route_class=StrictJSONRoute, tags=["supply chain"])


# --- chain queries -------------------------------------------------------------------------------------


@router.get(
    "/v1/organisations/{organisation_id}/supply-chain",
    operation_id="getSupplyChain",
    response_model=SupplyChain,
    responses=openapi_responses(*_READ),
)
def get_supply_chain(
    organisation_id: OrganisationId,
    principal: OrganisationPrincipal,
    context: ContextDep,
    as_of: AsOf = None,
    depth: Depth = None,
) -> Response:
    """The upstream chain on a date, to `depth` tiers: each organisation's shortest tier and path, its
    certificates and their status on that date, every link that holds then, and the cycles met.

    A link is followed to the supplier's own suppliers only when the supplier confirmed it. A supplier
    named by a declared or disputed link is shown by its public identity alone (names, country,
    identifiers), marked `upstream_withheld`, with certification `unknown`; the chain stops there."""
    now = now_us()
    with _snapshot(context.engine) as connection:
        answer = chain.supply_chain(
            connection, principal, organisation_id, at_us=_at(as_of, now), depth=_depth(context, depth), now_us=now
        )
    # A hot path (target: ≤ 100 ms at full depth, BENCHMARKS.md): plain data straight to orjson, in SupplyChain's shape.
    return Response(orjson.dumps(answer), media_type="application/json")


@router.get(
    "/v1/organisations/{organisation_id}/supply-chain/export",
    operation_id="exportSupplyChain",
    response_class=Response,
    responses=openapi_responses(*_READ)
    | {200: {"content": {media: {} for media, _ in MEDIA_TYPES.values()}, "description": "The export"}},
)
def export_supply_chain(
    organisation_id: OrganisationId,
    *,
    principal: OrganisationPrincipal,
    context: ContextDep,
    export_format: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.JSON,
    as_of: AsOf = None,
    depth: Depth = None,
) -> Response:
    """The chain as JSON, CSV (a row per link), Graphviz DOT or SVG (coloured by certification status), or
    as a signed evidence bundle (zip: JSON, CSV, DOT, audit report, documents with receipts, the signed
    checkpoint, and a SHA-256 manifest signed with the registry key of /.well-known/ecolabel-registry).
    Suppliers whose upstream is withheld (not confirmed) are marked in every format."""
    now = now_us()
    at, levels = _at(as_of, now), _depth(context, depth)
    with _snapshot(context.engine) as connection:
        found = downloads.export_chain(
            connection, context, principal, organisation_id, export_format, at_us=at, depth=levels, now_us=now
        )
    return Response(
        found.content,
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )


@router.get(
    "/v1/organisations/{organisation_id}/audit", operation_id="getAuditReport", responses=openapi_responses(*_READ)
)
def get_audit(
    organisation_id: OrganisationId,
    *,
    principal: OrganisationPrincipal,
    context: ContextDep,
    as_of: AsOf = None,
    depth: Depth = None,
    start: Annotated[str | None, Query(alias="from", pattern=INSTANT_PATTERN, description="compare from")] = None,
    end: Annotated[str | None, Query(alias="to", pattern=INSTANT_PATTERN, description="compare to")] = None,
) -> AuditReport:
    """Coverage per tier by count and by volume (unknown is never counted as certified), certificates
    expiring within 30/60/90 days, data gaps, the share of low-risk suppliers (China's green supply-chain
    index; the definition is the deployment's, echoed in `low_risk.policy`), and with `from` and `to`
    what changed between those dates. A link its supplier has not confirmed covers nothing: its volume and
    its withheld supplier count as unknown, and apart as `unconfirmed`."""
    if (start is None) != (end is None):
        raise ValidationFailed("give both `from` and `to`, or neither", code="BAD_PERIOD")
    now = now_us()
    between = (_at(start, now, "from"), _at(end, now, "to")) if start is not None and end is not None else None
    with _snapshot(context.engine) as connection:
        return audits.audit(
            connection,
            principal,
            organisation_id,
            at_us=_at(as_of, now),
            depth=_depth(context, depth),
            between=between,
            policy=LowRiskPolicy.from_settings(context.settings),
            now_us=now,
        )


@router.get(
    "/v1/certificates/{certificate_id}/impact", operation_id="getCertificateImpact", responses=openapi_responses(*_READ)
)
def get_impact(
    certificate_id: CertificateId, principal: OrganisationPrincipal, context: ContextDep, as_of: AsOf = None
) -> Impact:
    """Which buyers depend downstream on this certificate on a date, and through which links (confirmed by
    their suppliers). The operator sees all of them; an organisation or auditor sees only those in chains
    it may read (`restricted`)."""
    now = now_us()
    with _snapshot(context.engine) as connection:
        return impact.impact(
            connection,
            principal,
            certificate_id,
            at_us=_at(as_of, now),
            max_depth=context.settings.supply_max_depth,
            now_us=now,
        )
