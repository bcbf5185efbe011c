"""`X-Min-Tree-Size: N`: the client has seen the log at tree size N, so no answer may come from a smaller log.

A pure ASGI middleware: it parses the header once and leaves the size in a context variable for the
request (`ecolabel_registry.replicas.min_tree_size`), which `RegistryContext.read_engine()` consults. A
certifier that has just written, and holds a receipt at size N, sends it with every later read (the
certifier and verify CLIs do so themselves); a value that is not a decimal tree size is refused (400).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ecolabel_registry.errors import BadRequest
from ecolabel_registry.problems import problem_response
from ecolabel_registry.replicas import min_tree_size

_HEADER = b"x-min-tree-size"
_MAX_TREE_SIZE = 2**63 - 1  # a BIGINT, like every tree size the registry stores


class ReadConsistency:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        value = next((v for k, v in scope["headers"] if k == _HEADER), None)
        if value is None:
            await self.app(scope, receive, send)
            return
        size = int(value) if value.isdigit() and len(value) <= 19 else -1
        if not 0 <= size <= _MAX_TREE_SIZE:
            error = BadRequest("X-Min-Tree-Size is the decimal tree size of a checkpoint the client has seen")
            await problem_response(error, instance=scope.get("path"))(scope, receive, send)
            return
        token = min_tree_size.set(size)
        try:
            await self.app(scope, receive, send)
        finally:
            min_tree_size.reset(token)
