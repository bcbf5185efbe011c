"""One mapping from errors to RFC 9457 `application/problem+json` documents.

Every error type has a stable `type` URI, `urn:ecolabel-registry:problem:<slug>`; the same table feeds
the `responses` section of the OpenAPI document, and clients turn problem documents back into the
same typed errors by their slug.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ecolabel_registry import errors
from ecolabel_registry.api.routing import allowed_methods
from ecolabel_registry.observability.metrics import count_rejection
from ecolabel_registry.problems import PROBLEM_MEDIA_TYPE, problem_response, unexpected_problem
from verification.identifiers import IDENTIFIER_WHITESPACE, WHITESPACE_ERROR_TYPE

# Starlette raises HTTPException for routing failures; these become our own problem types.
_STATUS_TO_ERROR: dict[int, type[errors.RegistryError]] = {
    400: errors.BadRequest,
    401: errors.Unauthorized,
    403: errors.Forbidden,
    404: errors.NotFound,
    405: errors.MethodNotAllowed,
    413: errors.PayloadTooLarge,
    415: errors.UnsupportedMediaType,
}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only location, message and pydantic's error type: the offending input is not echoed back.
    return [
        {
            "loc": [str(part) for part in item.get("loc", ())],
            "msg": str(item.get("msg", "")),
            "type": item.get("type"),
        }
        for item in exc.errors()
    ]


def install_problem_handlers(app: FastAPI) -> None:
    # Starlette registers handlers by class and calls each only with instances of it; the isinstance
    # checks narrow the type for mypy and fall through to the generic handler if that ever changed.
    async def on_registry_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, errors.RegistryError):
            return await on_unexpected(request, exc)
        count_rejection(request, exc)
        return problem_response(exc, instance=request.url.path)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, RequestValidationError):
            return await on_unexpected(request, exc)
        found = _validation_errors(exc)
        # An identifier not in its one spelling has its own code, as in a signed document (PayloadInvalid).
        coded = {"code": IDENTIFIER_WHITESPACE} if any(e["type"] == WHITESPACE_ERROR_TYPE for e in found) else {}
        error = errors.ValidationFailed("the request does not match the schema", errors=found, **coded)
        count_rejection(request, error)
        return problem_response(error, instance=request.url.path)

    async def on_http_exception(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):
            return await on_unexpected(request, exc)
        error_type = _STATUS_TO_ERROR.get(exc.status_code, errors.BadRequest)
        detail = exc.detail if isinstance(exc.detail, str) else error_type.title
        response = problem_response(error_type(detail), instance=request.url.path)
        # Keep the headers Starlette attached, e.g. `Allow` on a 405 (RFC 9110 §15.5.6 requires it).
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["Allow"] = allowed_methods(request)
        return response

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        return unexpected_problem(request.method, request.url.path, exc)

    app.add_exception_handler(errors.RegistryError, on_registry_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(Exception, on_unexpected)


# What any endpoint taking a signed document can answer, in the order its OpenAPI responses list them.
SIGNED_DOCUMENT_ERRORS: tuple[type[errors.RegistryError], ...] = (
    errors.MalformedJSON,
    errors.UnsupportedMediaType,
    errors.ValidationFailed,
    errors.DocumentInvalid,
    errors.SignatureInvalid,
    errors.AlgorithmRefused,
    errors.UnknownSigningKey,
    errors.SigningKeyNotValid,
    errors.SignerNotPermitted,
)


def openapi_responses(
    *error_types: type[errors.RegistryError], also: dict[int | str, dict[str, Any]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The `responses=` argument of a route: each listed error as a problem+json response."""
    responses: dict[int | str, dict[str, Any]] = dict(also or {})
    # Every operation can meet the body limit, the rate limits (429 + Retry-After) and an internal error.
    all_types: tuple[type[errors.RegistryError], ...] = (
        *error_types,
        errors.BadRequest,  # a Content-Length that is not a number, or U+0000 in the path or query
        errors.PayloadTooLarge,
        errors.RateLimited,
        errors.InternalError,
    )
    for error_type in all_types:
        entry = responses.setdefault(
            error_type.status,
            {
                "description": error_type.title,
                "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            },
        )
        if entry["description"] != error_type.title:
            entry["description"] = f"{entry['description']}; {error_type.title}"
    return responses
