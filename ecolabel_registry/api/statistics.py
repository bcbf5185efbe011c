"""Open-data statistics: certificate counts, agreement standings, the recognition matrix and cross-border
reach, each computed at one checkpoint and naming it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Query

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routers import PrefixRouter
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.db.engine import read_snapshot
from ecolabel_registry.errors import ValidationFailed
from ecolabel_registry.schemas import Slug
from ecolabel_registry.statistics import repository, service, supply
from ecolabel_registry.statistics.refresh import refresh
from ecolabel_registry.statistics.schemas import (
    AgreementStatistics,
    CertificateGroup,
    CertificateSeries,
    CertificateStatistics,
    CrossBorderReach,
    RecognitionMatrix,
    SupplyLinkStatistics,
)
from ecolabel_registry.statistics.timeline import day_of, month_of_label

router = PrefixRouter(prefix="/v1/statistics", route_class=StrictJSONRoute, tags=["open data"])
MAX_MONTHS = 240
AsOf = Annotated[date | None, Query(description="the date counted, at 00:00 UTC (YYYY-MM-DD); today when absent")]
# One Query per parameter: FastAPI keeps only the last `Query` of an `Annotated`, so a pattern given in one
# and an alias in another would be silently dropped (and an unchecked month reach the parser).
# Months from 1970 (the statistics count from the epoch; year 0000 is no date at all).
MONTH_PATTERN = r"^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])$"


def _date(as_of: date | None) -> tuple[date, datetime]:
    day = as_of or datetime.now(UTC).date()
    return day, service.midnight(day)


@router.get("/certificates", operation_id="getCertificateStatistics", responses=openapi_responses(ValidationFailed))
def certificate_statistics(
    context: ContextDep,
    group: Annotated[CertificateGroup, Query(description="how to group the counts")] = CertificateGroup.PROGRAMME,
    as_of: AsOf = None,
    programme: Annotated[Slug | None, Query(description="only this programme's certificates")] = None,
) -> CertificateStatistics:
    """Certificates counted by status on a date, grouped by programme, category (with its CPV, China
    procurement and HS crosswalk), criteria version, holder country, programme and country, or by
    crosswalk code.

    The status is the one `GET /v1/certificates/{id}?as_of=` gives at 00:00 UTC that day; certificates
    not yet valid then are not counted. The figures reflect the log up to the named checkpoint.
    """
    day, _ = _date(as_of)
    refresh(context.engine)
    with read_snapshot(context.engine) as connection:
        state = repository.read_state(connection)
        items = service.certificate_figures(connection, state, group, day_of(day), programme)
    return CertificateStatistics(
        checkpoint=service.checkpoint_of(state), as_of=day.isoformat(), group=group, items=items
    )


@router.get("/certificates/series", operation_id="getCertificateSeries", responses=openapi_responses(ValidationFailed))
def certificate_series(
    context: ContextDep,
    start: Annotated[str, Query(alias="from", pattern=MONTH_PATTERN, description="the first month, YYYY-MM")],
    end: Annotated[str, Query(alias="to", pattern=MONTH_PATTERN, description="the last month, YYYY-MM")],
    group: Annotated[CertificateGroup, Query(description="how to group the lines (not a crosswalk group)")] = (
        CertificateGroup.PROGRAMME
    ),
    programme: Annotated[Slug | None, Query(description="only this programme's certificates")] = None,
) -> CertificateSeries:
    """A monthly series of certificate counts by status: each point counts as of the month's last day."""
    first, last = month_of_label(start), month_of_label(end)
    if last < first or last - first >= MAX_MONTHS:
        raise ValidationFailed(f"from must not be after to, and the series at most {MAX_MONTHS} months long")
    if group in (CertificateGroup.CPV, CertificateGroup.HS, CertificateGroup.CN_PROCUREMENT):
        raise ValidationFailed("a series groups by total, programme, category, criteria_version or country")
    refresh(context.engine)
    with read_snapshot(context.engine) as connection:
        state = repository.read_state(connection)
        months, lines = service.series(connection, state, group, (first, last), programme)
    return CertificateSeries(checkpoint=service.checkpoint_of(state), group=group, months=months, lines=lines)


@router.get("/agreements", operation_id="getAgreementStatistics", responses=openapi_responses(ValidationFailed))
def agreement_statistics(context: ContextDep, as_of: AsOf = None) -> AgreementStatistics:
    """Agreements counted by type (full, common_core, proxy_assessment) and standing on a date."""
    day, at = _date(as_of)
    refresh(context.engine)
    with read_snapshot(context.engine) as connection:
        state = repository.read_state(connection)
        items = service.agreement_figures(connection, state, at)
    return AgreementStatistics(checkpoint=service.checkpoint_of(state), as_of=day.isoformat(), items=items)


@router.get("/recognition-matrix", operation_id="getRecognitionMatrix", responses=openapi_responses(ValidationFailed))
def recognition_matrix(context: ContextDep, as_of: AsOf = None) -> RecognitionMatrix:
    """For each pair of programme categories that an agreement connects: whether a certificate of the
    first is accepted where the second is required on the date, through which agreements, and what is
    still to meet; decided by the same rule as `GET /v1/equivalence`."""
    day, at = _date(as_of)
    refresh(context.engine)
    with read_snapshot(context.engine) as connection:
        state = repository.read_state(connection)
        programmes, items = service.matrix(connection, state, at)
    return RecognitionMatrix(
        checkpoint=service.checkpoint_of(state), as_of=day.isoformat(), programmes=programmes, items=items
    )


@router.get("/cross-border-reach", operation_id="getCrossBorderReach", responses=openapi_responses(ValidationFailed))
def cross_border_reach(context: ContextDep, as_of: AsOf = None) -> CrossBorderReach:
    """For each programme, how many of its certificates active on the date are accepted, through
    agreements in force then, where another programme's label is required (any of its categories)."""
    day, at = _date(as_of)
    refresh(context.engine)
    with read_snapshot(context.engine) as connection:
        state = repository.read_state(connection)
        items = service.reach(connection, state, day_of(day), at)
    return CrossBorderReach(checkpoint=service.checkpoint_of(state), as_of=day.isoformat(), items=items)


@router.get("/supply-links", operation_id="getSupplyLinkStatistics", responses=openapi_responses(ValidationFailed))
def supply_link_statistics(
    context: ContextDep,
    month: Annotated[str, Query(pattern=MONTH_PATTERN, description="YYYY-MM: links in force on its first day")],
) -> SupplyLinkStatistics:
    """Confirmed supply links by supplier country and buyer country, on the first day of a month.

    Supply-chain data is confidential to the organisations and their auditors: it is published only as
    these counts, and a cell is listed only when at least five distinct buyers, five distinct suppliers
    and five links make it up (docs/SECURITY.md). There are no totals and no other grouping.
    """
    first = date.fromisoformat(f"{month}-01")
    refresh(context.engine)
    with read_snapshot(context.engine) as connection:
        state = repository.read_state(connection)
        items = supply.country_pairs(supply.confirmed_links(connection, state, first))
    return SupplyLinkStatistics(
        checkpoint=service.checkpoint_of(state), month=month, minimum_group=supply.MINIMUM_GROUP, items=items
    )
