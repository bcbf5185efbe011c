"""The `application/vc+jwt` media type (VC-JOSE-COSE §6.1) beside JSON, for credentials in and out.

    @router.post("", route_class_override=CredentialBodyRoute)   # a raw compact JWS body is accepted
    if prefers_vc_jwt(accept): return vc_jwt_response(token)     # the credential exactly as issued

A `application/vc+jwt` request body is the compact JWS itself; it is handed to the operation as the
JSON body `{"credential": <JWS>}` would be, so both forms pass the same checks.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Final

import orjson
from fastapi import Request, Response

from ecolabel_registry.api.routing import DirectJSONRoute, request_content_type
from ecolabel_registry.errors import MalformedJSON

VC_JWT: Final = "application/vc+jwt"
# OpenAPI for an operation that takes or gives a credential as `application/vc+jwt`.
VC_JWT_CONTENT: Final = {VC_JWT: {"schema": {"type": "string", "description": "a compact JWS (typ vc+jwt)"}}}
REQUEST_BODY_EXTRA: Final = {"requestBody": {"content": VC_JWT_CONTENT}}


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def prefers_vc_jwt(accept: str | None) -> bool:
    """`application/vc+jwt` asked for, and not after JSON (`*/*` or a JSON client keeps JSON)."""
    types = [_media_type(part) for part in (accept or "").split(",")]
    if VC_JWT not in types:
        return False
    return "application/json" not in types or types.index(VC_JWT) < types.index("application/json")


def vc_jwt_response(token: str) -> Response:
    return Response(token.encode("ascii"), media_type=VC_JWT)


class CredentialBodyRoute(DirectJSONRoute):
    """A route whose JSON body is `{"credential": JWS}` that also takes the JWS as an `application/vc+jwt` body
    (its endpoint awaited directly when `DirectJSONRoute` can)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        json_handler = super().get_route_handler()

        async def handler(request: Request) -> Response:
            # The raw header pairs, not `request.headers`: a `Headers` built for one look-up (~6,000
            # instructions of every submission; BENCHMARKS.md).
            if _media_type(request_content_type(request.scope["headers"])) != VC_JWT:
                return await json_handler(request)
            raw = (await request.body()).strip()
            if not raw.isascii():
                raise MalformedJSON("an application/vc+jwt body is a compact JWS in ASCII", code="INVALID_JWS")
            body = orjson.dumps({"credential": raw.decode("ascii")})
            headers = [(name, value) for name, value in request.scope["headers"] if name != b"content-type"]
            headers.append((b"content-type", b"application/json"))
            sent = False

            async def receive() -> dict[str, Any]:
                nonlocal sent
                if sent:
                    return {"type": "http.disconnect"}
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            return await json_handler(Request({**request.scope, "headers": headers}, receive))

        handler.direct = getattr(json_handler, "direct", False)  # type: ignore[attr-defined]  # `routing.answering`
        return handler
