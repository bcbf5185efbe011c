"""Equivalence: is this certificate (or category) acceptable for that requirement on a date, and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from ecolabel_registry.api.answers import answer
from ecolabel_registry.api.moments import MOMENT_DESCRIPTION, parse_moment
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import DirectJSONRoute
from ecolabel_registry.clock import now
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import read_snapshot
from ecolabel_registry.errors import BadRequest, NotFound, ValidationFailed
from ecolabel_registry.recognition import answer_json, compiled, reads, service
from ecolabel_registry.recognition.schemas import EquivalenceOut
from ecolabel_registry.schemas import Slug
from verification.leaf import to_microseconds

router = APIRouter(route_class=DirectJSONRoute, tags=["equivalence"])


@router.get(
    "/v1/equivalence",
    operation_id="resolveEquivalence",
    response_model=EquivalenceOut,
    responses=openapi_responses(BadRequest, NotFound, ValidationFailed),
)
async def equivalence(
    request: Request,
    *,
    certificate_id: Annotated[
        str | None, Query(pattern=r"^[0-9a-f]{64}$", description="a registered certificate")
    ] = None,
    programme: Annotated[Slug | None, Query(description="or a bare category: its programme")] = None,
    category: Annotated[
        str | None, Query(min_length=1, max_length=64, description="its category code (absent: any category)")
    ] = None,
    criteria_version: Annotated[
        str | None, Query(min_length=1, max_length=64, description="its criteria version (absent: any)")
    ] = None,
    accepted: Annotated[
        list[str] | None, Query(max_length=100, description="accepted programme:category pairs (repeat the parameter)")
    ] = None,
    cpv: Annotated[str | None, Query(pattern=r"^\d{8}(-\d)?$", description="or a CPV code, via the crosswalk")] = None,
    cn_procurement: Annotated[
        str | None, Query(pattern=r"^[ABC]\d{2,14}$", description="or a China procurement item code, e.g. A02010104")
    ] = None,
    date: Annotated[str | None, Query(max_length=40, description=f"default now; {MOMENT_DESCRIPTION}")] = None,
    known_at: Annotated[
        str | None, Query(max_length=40, description=f"count only what was logged by then; {MOMENT_DESCRIPTION}")
    ] = None,
) -> Response:
    """Resolve one certificate, or a programme's category, against what a buyer accepts, on a date.

    The answer is `accepted` (directly), `accepted_through_agreement` (with the path of agreements and
    mappings used, and the conditions still to meet: supplementary criteria of common-core agreements,
    proxy-assessment notes) or `not_accepted` with reason codes. Recognition is not transitive unless
    every agreement on the path allows onward recognition (at most `ECOLABEL_RECOGNITION_MAX_DEPTH` hops).
    """
    if (certificate_id is None) == (programme is None):
        raise BadRequest("give either certificate_id or programme (with category)", code="SUBJECT_REQUIRED")
    at = parse_moment(date, "date") or now()
    known = parse_moment(known_at, "known_at")
    known_us = to_microseconds(known) if known else None
    context: RegistryContext = request.app.state.registry  # see `verify_certificate`: no sub-dependency

    def work(read: reads.Read | None) -> bytes:  # `read`: the one statement read ahead (`recognition.reads`)
        max_depth = context.settings.recognition_max_depth
        engine, evidence = context.read_engine(), None
        if certificate_id is None:  # nothing to read but the graph and the checkpoint it holds
            graph, judged = read[1:] if read is not None else compiled.current(engine)
            target = service.requirement(graph, accepted=accepted or [], cpv=cpv, cn_procurement=cn_procurement)
            presented = service.category_subject(graph, programme or "", category, criteria_version)
        elif (found := reads.certificate(read) or service.read_certificate(engine, certificate_id)) is not None:
            graph, judged = found.graph, found.judged_at  # one snapshot's reads
            target = service.requirement(graph, accepted=accepted or [], cpv=cpv, cn_procurement=cn_procurement)
            presented, evidence = service.judged_read(found, at=at, known_at_us=known_us)
        else:
            # An unknown certificate, reported as before, after the requirement (one snapshot).
            with read_snapshot(engine) as connection:
                graph, judged = compiled.at_checkpoint(connection)  # the agreements and crosswalk as of it
                target = service.requirement(graph, accepted=accepted or [], cpv=cpv, cn_procurement=cn_procurement)
                presented, evidence = service.judged_certificate(
                    connection, certificate_id, at=at, known_at_us=known_us
                )
        resolution = service.answer(graph, presented, target, at=at, known_at_us=known_us, max_depth=max_depth)
        heads = service.agreement_heads(graph, resolution)
        return answer_json.equivalence_json(  # the bytes of `model_json(service.render(...))`
            certificate_id,
            presented,
            target,
            resolution,
            at=at,
            known_at=known,
            judged=judged,
            evidence=evidence,
            heads=heads,
        )

    return await answer(context, work, certificate_id)
