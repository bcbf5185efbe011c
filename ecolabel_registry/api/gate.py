"""What every request passes before its route, in one pure ASGI middleware, in this order:

1. `X-Min-Tree-Size` (`api.consistency`): a malformed one is refused (400) before anything is charged; a
   well-formed one names the smallest log the request may be answered from, for the whole request.
2. The client rate limit (`api.ratelimit.ClientRateLimit`, when configured): 429 with `Retry-After`,
   before any body is read.
3. The body size limit (`api.limits`): the declared `Content-Length` (413, or 400 when it is not a
   number), then the bytes actually received, so that a chunked body is held to it too.
4. The catalogue bulkhead (`api.bulkhead`): a catalogue check waits for its turn before its body is read.

Each rule lives in its own module; this is the one layer that applies them. As four layers, each its own
coroutine with its own walk over the headers, they cost ~5% of a single submission's instructions on the
event loop (BENCHMARKS.md, changelog "a single submission on the event loop").

    app.add_middleware(RequestGate, body=BodySizeLimit(max_bytes=...), catalogue_paths=..., clients=...)
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecolabel_registry.api import bulkhead, consistency, limits
from ecolabel_registry.api.ratelimit import ClientRateLimit
from ecolabel_registry.replicas import min_tree_size

_AUTHORIZATION = b"authorization"


class RequestGate:
    def __init__(
        self,
        app: ASGIApp,
        *,
        body: limits.BodySizeLimit,
        catalogue_paths: frozenset[str],
        clients: ClientRateLimit | None = None,
    ) -> None:
        self.app = app
        self.body = body
        self.catalogue_paths = catalogue_paths
        self.clients = clients

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Each rule reads the first of its header, as it always has; one walk finds all three.
        tree_size = authorization = length = None
        for name, value in scope["headers"]:
            if name == limits.CONTENT_LENGTH:
                length = value if length is None else length
            elif name == _AUTHORIZATION:
                authorization = value if authorization is None else authorization
            elif name == consistency.HEADER:
                tree_size = value if tree_size is None else tree_size
        if tree_size is None:
            await self._admit(scope, receive, send, authorization, length)
            return
        size = consistency.tree_size(tree_size)
        if size is None:
            await consistency.refusal(scope)(scope, receive, send)
            return
        token = min_tree_size.set(size)
        try:
            await self._admit(scope, receive, send, authorization, length)
        finally:
            min_tree_size.reset(token)

    async def _admit(
        self, scope: Scope, receive: Receive, send: Send, authorization: bytes | None, length: bytes | None
    ) -> None:
        if self.clients is not None:
            refused = await self.clients.refusal(scope, authorization)
            if refused is not None:
                await refused(scope, receive, send)
                return
        max_bytes = self.body.max_bytes(scope["path"])
        declared = limits.declared_length(length)
        if declared == -1:
            await limits.unreadable_length()(scope, receive, send)
            return
        if declared is not None and declared > max_bytes:
            await limits.too_large(scope, max_bytes)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise limits.BodyTooLarge
            return message

        turn = bulkhead.gate(scope, self.catalogue_paths)
        try:
            if turn is None:
                await self.app(scope, limited_receive, send)
            else:
                async with turn:
                    await self.app(scope, limited_receive, send)
        except limits.BodyTooLarge:
            await limits.too_large(scope, max_bytes)(scope, receive, send)
