"""JSON request bodies are parsed strictly, by the same parser the offline verifier uses.

FastAPI's default `json.loads` accepts duplicate keys (last one wins), NaN and unbounded nesting; a
signed-document registry must not, because two parsers that disagree about a document's meaning are
how signature-wrapping attacks start. `StrictJSONRoute` checks the media type (415), parses with
`verification.strictjson.loads_strict` (400 with a precise code) and hands the result to FastAPI.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from ecolabel_registry.errors import MalformedJSON, UnsupportedMediaType
from verification.errors import MalformedInput
from verification.strictjson import loads_strict

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_strict_json"):
            limits = self.app.state.json_limits
            try:
                self._strict_json = loads_strict(
                    await self.body(), max_bytes=limits.max_bytes, max_depth=limits.max_depth
                )
            except MalformedInput as exc:
                raise MalformedJSON(exc.detail, code=exc.code) from exc
        return self._strict_json


def _is_json_media_type(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


class StrictJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()
        expects_body = self.body_field is not None

        async def handler(request: Request) -> Response:
            strict = StrictJSONRequest(request.scope, request.receive)
            if expects_body and request.method in _BODY_METHODS:
                content_type = request.headers.get("content-type", "")
                if not _is_json_media_type(content_type):
                    raise UnsupportedMediaType(f"expected Content-Type application/json, got {content_type or 'none'}")
                await strict.json()  # parse now, so that errors are ours and not FastAPI's generic 400
            return await original(strict)

        return handler
