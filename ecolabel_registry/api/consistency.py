"""`X-Min-Tree-Size: N`: the client has seen the log at tree size N, so no answer may come from a smaller log.

The request's gate (`api.gate.RequestGate`) reads the header once and leaves the size in a context variable
for the request (`ecolabel_registry.replicas.min_tree_size`), which `RegistryContext.read_engine()` consults. A
certifier that has just written, and holds a receipt at size N, sends it with every later read (the
certifier and verify CLIs do so themselves); a value that is not a decimal tree size is refused (400).
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import Scope

from ecolabel_registry.errors import BadRequest
from ecolabel_registry.problems import problem_response

HEADER = b"x-min-tree-size"
_MAX_TREE_SIZE = 2**63 - 1  # a BIGINT, like every tree size the registry stores


def tree_size(value: bytes) -> int | None:
    """The tree size an `X-Min-Tree-Size` value names, or None when it is not a decimal tree size."""
    size = int(value) if value.isdigit() and len(value) <= 19 else -1
    return size if 0 <= size <= _MAX_TREE_SIZE else None


def refusal(scope: Scope) -> Response:
    error = BadRequest("X-Min-Tree-Size is the decimal tree size of a checkpoint the client has seen")
    return problem_response(error, instance=scope.get("path"))
