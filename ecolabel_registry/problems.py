"""Errors as RFC 9457 `application/problem+json` documents, below the HTTP routes and the middleware.

Every error type has a stable `type` URI, `urn:ecolabel-registry:problem:<slug>`. The routes' handlers and
OpenAPI table live in `ecolabel_registry.api.problems`; the middleware renders an unexpected fault here
without importing the API.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi.responses import Response

from ecolabel_registry import errors

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:ecolabel-registry:problem:"
_log = logging.getLogger("ecolabel_registry.errors")


def problem_type(error: type[errors.RegistryError]) -> str:
    return TYPE_PREFIX + error.slug


def problem_body(error: errors.RegistryError, *, instance: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type(type(error)),
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
    }
    if instance is not None:
        body["instance"] = instance
    # Extension members (RFC 9457 §3.2) never overwrite the standard ones.
    body.update({k: v for k, v in error.extensions.items() if k not in body})
    return body


def problem_response(error: errors.RegistryError, *, instance: str | None = None) -> Response:
    headers = {"Retry-After": str(error.extensions["retry_after"])} if "retry_after" in error.extensions else None
    return Response(
        content=orjson.dumps(problem_body(error, instance=instance)),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def unexpected_problem(method: str, path: str, exc: Exception) -> Response:
    """A 500 that names nothing of the fault; the traceback goes to the log only."""
    _log.exception("unhandled error on %s %s", method, path, exc_info=exc)
    return problem_response(errors.InternalError("an unexpected error occurred"), instance=path)
