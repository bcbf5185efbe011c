"""Trust Registry Query Protocol v2: the recognition and authorization queries (mapping: docs/TRQP.md).

The TRQP v2 HTTPS binding answers a request that is not well formed with 400 Bad Request and a Problem
Details body, where the rest of this API says 422: `TRQPRoute` makes that one difference.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError

from ecolabel_registry.api.answers import answer
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routers import PrefixRouter
from ecolabel_registry.api.routing import DirectJSONRoute
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.errors import BadRequest, MalformedJSON, NotFound, UnsupportedMediaType
from ecolabel_registry.recognition import answer_json, trqp
from ecolabel_registry.recognition.reads import Read
from ecolabel_registry.recognition.trqp_schemas import (
    AuthorizationAnswer,
    AuthorizationQuery,
    RecognitionAnswer,
    RecognitionQuery,
    TRQPRequest,
)


class TRQPRoute(DirectJSONRoute):
    def invalid(self, error: RequestValidationError) -> Exception:
        errors = [
            {"loc": [str(part) for part in item.get("loc", ())], "msg": str(item.get("msg", ""))}
            for item in error.errors()
        ]
        refused = BadRequest(
            "the query does not match the TRQP v2 request schema", code="INVALID_REQUEST", errors=errors
        )
        refused.__cause__ = error
        return refused

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()
        if getattr(inner, "direct", False):  # it raises `invalid`'s answer itself
            return inner

        async def handler(request: Request) -> Response:
            try:
                return await inner(request)
            except RequestValidationError as exc:
                raise self.invalid(exc) from exc

        return handler


router = PrefixRouter(prefix="/trqp/v2", route_class=TRQPRoute, tags=["trqp"])
_ERRORS = openapi_responses(BadRequest, MalformedJSON, NotFound, UnsupportedMediaType)


@router.post(
    "/recognition",
    operation_id="queryRecognition",
    responses=_ERRORS,
    response_model=RecognitionAnswer,
    response_model_exclude_none=True,
)
async def recognition(query: RecognitionQuery, request: Request) -> Response:
    """Does the authority (a programme) recognise the entity (a programme or a certificate) as
    equivalent for the resource (one of the authority's categories) at `context.time`?"""
    context: RegistryContext = request.app.state.registry  # see `verify_certificate`: no sub-dependency

    def work(read: Read | None) -> bytes:
        evaluation, echo = _evaluate(query, context, read)
        return answer_json.trqp_json(echo, "recognized", evaluation.resolution.accepted)

    return await answer(context, work, trqp.certificate_of(query.entity_id))


@router.post(
    "/authorization",
    operation_id="queryAuthorization",
    responses=_ERRORS,
    response_model=AuthorizationAnswer,
    response_model_exclude_none=True,
)
async def authorization(query: AuthorizationQuery, request: Request) -> Response:
    """Is the entity (typically a certificate) authorized under the authority's rules to be accepted as
    the resource (one of the authority's categories) at `context.time`, directly or through agreements?"""
    context: RegistryContext = request.app.state.registry

    def work(read: Read | None) -> bytes:
        evaluation, echo = _evaluate(query, context, read)
        return answer_json.trqp_json(echo, "authorized", evaluation.resolution.accepted)

    return await answer(context, work, trqp.certificate_of(query.entity_id))


def _evaluate(
    query: TRQPRequest, context: RegistryContext, read: Read | None
) -> tuple[trqp.Evaluation, dict[str, Any]]:
    """The evaluation, and `_Answer`'s fields in order as `answer_json.trqp_json` takes them: those that are
    None (the route says `response_model_exclude_none`) left out here, where it is known which may be."""
    max_depth = context.settings.recognition_max_depth
    evaluation = trqp.evaluate(context.read_engine(), query, max_depth=max_depth, read=read)
    resolution = evaluation.resolution
    echo: dict[str, Any] = {
        "entity_id": query.entity_id,
        "authority_id": query.authority_id,
        "action": query.action,
        "resource": query.resource,
    }
    if evaluation.time_requested is not None:
        echo["time_requested"] = evaluation.time_requested
    echo["time_evaluated"] = evaluation.time_evaluated
    echo["message"] = evaluation.message
    if query.context is not None:
        echo["context"] = query.context
    echo["decision"] = resolution.decision
    echo["reasons"] = [reason.code for reason in resolution.reasons]
    echo["agreements"] = [hop.agreement_id for hop in resolution.path]
    echo["judged_at"] = evaluation.judged_at
    if evaluation.evidence is not None:
        echo["evidence"] = evaluation.evidence
    echo["agreement_heads"] = evaluation.agreement_heads
    return evaluation, echo
