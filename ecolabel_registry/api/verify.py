"""Procurement checks: one certificate, or a catalogue of up to 10,000 items, with signed decisions."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routers import PrefixRouter
from ecolabel_registry.api.routing import CatalogueJSONRoute, StrictJSONRoute
from ecolabel_registry.clock import now
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import autocommit_connection, is_sqlite, read_snapshot
from ecolabel_registry.errors import IntegrityDiverged, MalformedJSON, NotFound, UnsupportedMediaType, ValidationFailed
from ecolabel_registry.integrity.guard import require_intact_as_seen
from ecolabel_registry.procurement import single
from ecolabel_registry.procurement.equivalents import evaluate_with_equivalents
from ecolabel_registry.procurement.schemas import EligibilityAnswer, EligibilityRequest, VerificationAnswer
from ecolabel_registry.recognition import reads

router = PrefixRouter(prefix="/v1/verify", route_class=StrictJSONRoute, tags=["procurement"])
_HEX_SHA256 = "[0-9a-f]{64}"
CertificateId = Annotated[str, Path(pattern=f"^{_HEX_SHA256}$", description="hex SHA-256 of the credential")]


def _json(body: object) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


async def verify_certificate(
    certificate_id: CertificateId,
    request: Request,
    as_of: Annotated[datetime | None, Query(description="judge on this date (default: now)")] = None,
) -> Response:
    """Is this certificate valid on the date? Status, validity window, signature, signing key, the log
    inclusion proof, and a registry-signed decision (JWS) naming the checkpoint it was computed against."""
    if as_of is not None and as_of.tzinfo is None:
        raise ValidationFailed("dates need a time zone, e.g. 2026-01-31T00:00:00Z", code="NAIVE_DATETIME")
    return await _verified(certificate_id, request, as_of)


class _VerifyRoute(StrictJSONRoute):
    """The buyers' hottest request, `GET /v1/verify/certificates/{id}` with a well-formed id and no query,
    goes straight to the check: FastAPI's solving of its parameters (the path pattern, the optional
    date) cost more than a tenth of the whole request (BENCHMARKS.md), and for this request it has
    nothing to find. Any other request (a query, a malformed id) takes FastAPI's way, so its
    validation and its problems are unchanged; the route as declared is what the OpenAPI document shows.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        validated = super().get_route_handler()
        well_formed = re.compile(_HEX_SHA256).fullmatch  # whole: `$` would let a final newline through

        async def handler(request: Request) -> Response:
            certificate_id = request.scope["path_params"].get("certificate_id", "")
            if not request.scope["query_string"] and well_formed(certificate_id):
                return await _verified(certificate_id, request, None)
            return await validated(request)

        return handler


async def _verified(certificate_id: str, request: Request, as_of: datetime | None) -> Response:
    at = as_of or now()
    # Read here rather than through `ContextDep`: on the buyers' hottest path FastAPI's solving of one
    # sub-dependency cost ~17 µs, 5% of a whole check (BENCHMARKS.md).
    context: RegistryContext = request.app.state.registry
    engine = context.read_engine()

    def check(*, snapshot: bool = False) -> dict[str, Any]:
        # A certificate without status events needs no snapshot (single.verify_certificate says why):
        # outside a transaction its check saves BEGIN and COMMIT (two round trips on PostgreSQL).
        # `snapshot`: the certificate is known to have status events; read them in one straight away.
        if not snapshot:
            try:
                with autocommit_connection(engine) as connection:
                    return single.verify_certificate(connection, context, certificate_id, at, autocommit=True)
            except single.NeedsSnapshot:
                pass
        with read_snapshot(engine) as connection:
            return single.verify_certificate(connection, context, certificate_id, at)

    # On SQLite the whole check is a few hundred microseconds of CPU in this process, less than a hand-off
    # to the thread pool and back costs, so it runs on the event loop. On PostgreSQL it is mostly waiting
    # for round trips; on the event loop every request would wait behind them (p99 1.1 s instead of
    # 0.11 s at 32 connections), so it takes a thread like the other endpoints (BENCHMARKS.md).
    if is_sqlite(context.engine):
        # The integrity state read less than a second ago, the row on the connection this thread keeps,
        # the proof from the final-node cache: no pooled `Connection`, whose checkout, checkin and reset
        # cost more than the read (BENCHMARKS.md). Anything else takes `check`, as on PostgreSQL.
        if require_intact_as_seen(engine):
            try:
                answer = single.verify_own_read(engine, context, certificate_id, at)
            except single.NeedsSnapshot:
                return _json(check(snapshot=True))
            if answer is not None:
                return _json(answer)
        return _json(check())
    # The requests of this process that arrive while no read runs share one (`recognition.reads`, as the
    # recognition answers do: a request is only served by a read that started after it arrived), and the
    # answer is computed here on the event loop: no thread hop, no pooled `Connection`. When the integrity
    # state was not read in the last second, or the certificate needs more than its one row (status
    # events, unknown, a proof node not cached), the check runs in a thread as before.
    if require_intact_as_seen(engine):
        found = await reads.certificate_at_head(engine, certificate_id)
        if found is not None and (answer := single.verify_read(engine, context, certificate_id, at, found.row)):
            return _json(answer)
    return _json(await run_in_threadpool(check))


router.add_api_route(
    "/certificates/{certificate_id}",
    verify_certificate,
    methods=["GET"],
    operation_id="verifyCertificate",
    response_model=VerificationAnswer,
    responses=openapi_responses(NotFound, ValidationFailed, IntegrityDiverged),
    route_class_override=_VerifyRoute,
)


def check_eligibility(request: EligibilityRequest, context: ContextDep) -> Response:
    """Check a catalogue against a tender's label requirement ("label L or equivalent").

    Each item is a certificate id, a programme + licence number, or a GTIN (optionally with a model).
    Every item gets a decision, reason codes, the recognition path and the certificates matched; one
    registry-signed decision commits to all of them. Archive the whole answer: `ecolabel-verify
    decision` checks it offline.
    """
    with read_snapshot(context.read_engine()) as connection:
        answer = evaluate_with_equivalents(connection, context, request)
    # The fields as they are (plain dicts and lists): model_dump would copy 10,000 results value by value;
    # and the results as the bytes the decision hashed, when the check kept them.
    body: dict[str, Any] = dict(answer)
    if answer.results_json is not None:
        body["results"] = orjson.Fragment(answer.results_json)
    return _json(body)


# Parsed, judged and encoded with the cyclic collector paused (`CatalogueJSONRoute`).
router.add_api_route(
    "/eligibility",
    check_eligibility,
    methods=["POST"],
    operation_id="checkEligibility",
    response_model=EligibilityAnswer,
    responses=openapi_responses(MalformedJSON, UnsupportedMediaType, ValidationFailed, IntegrityDiverged),
    route_class_override=CatalogueJSONRoute,
)
