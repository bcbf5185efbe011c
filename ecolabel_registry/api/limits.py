"""Request-body limits enforced before any parsing: an oversized body is refused with 413.

A pure ASGI middleware, so that the limit also holds for chunked bodies without Content-Length.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecolabel_registry.errors import BadRequest, PayloadTooLarge
from ecolabel_registry.problems import problem_response


class BodySizeLimit:
    """`max_bytes` for every request, except the paths listed in `larger` (batch endpoints)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.default = max_bytes
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope["path"], self.default)
        declared = _content_length(scope)
        if declared == -1:
            await problem_response(BadRequest("Content-Length is not a number"))(scope, receive, send)
            return
        if declared is not None and declared > max_bytes:
            await self._refuse(scope, receive, send, max_bytes)
            return
        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._refuse(scope, receive, send, max_bytes)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        error = PayloadTooLarge(f"the request body exceeds {max_bytes} bytes", max_bytes=max_bytes)
        await problem_response(error, instance=scope.get("path"))(scope, receive, send)


class _BodyTooLarge(Exception):
    """Raised inside receive() to unwind the application when a streamed body passes the limit."""


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None
