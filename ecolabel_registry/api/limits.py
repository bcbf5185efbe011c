"""Request-body limits enforced before any parsing: an oversized body is refused with 413.

Checked by the request's gate (`api.gate.RequestGate`), a pure ASGI middleware, so that the limit also
holds for chunked bodies without Content-Length: the declared length first, then the bytes received.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import Scope

from ecolabel_registry.errors import BadRequest, PayloadTooLarge
from ecolabel_registry.problems import problem_response

CONTENT_LENGTH = b"content-length"


class BodySizeLimit:
    """`max_bytes` for every request, except the paths listed in `larger` (batch endpoints)."""

    def __init__(self, *, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.default = max_bytes
        self.larger = larger or {}

    def max_bytes(self, path: str) -> int:
        return self.larger.get(path, self.default)


def declared_length(value: bytes | None) -> int | None:
    """The Content-Length header's value, None without one, -1 when it is not a number."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return -1


def unreadable_length() -> Response:
    return problem_response(BadRequest("Content-Length is not a number"))


def too_large(scope: Scope, max_bytes: int) -> Response:
    error = PayloadTooLarge(f"the request body exceeds {max_bytes} bytes", max_bytes=max_bytes)
    return problem_response(error, instance=scope.get("path"))


class BodyTooLarge(Exception):
    """Raised inside receive() to unwind the application when a streamed body passes the limit."""
