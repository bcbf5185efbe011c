"""`PrefixRouter`: a router whose routes are not tried one by one for a request outside its prefix.

Starlette, and FastAPI's included routers, match a request against the routes in order, each route's
regular expression in turn, and FastAPI's bookkeeping around each try costs a few microseconds: a
submission (`POST /v1/certificates`, thirteenth of the application's routers) paid ~70 µs of CPU
before its own route was found (BENCHMARKS.md). Every route of a router lies under the router's
`prefix` (FastAPI builds each route's path as the prefix plus its own, nested routers' too), so a
request whose path does not start with it can match none of them: the router answers "no match" at
once, as its routes would have one by one. Matching order, answers and the OpenAPI document are as
before.

It holds only where the router is included in the application itself, without a further prefix
(`app.include_router(router)`): then the prefix is where its routes really lie.
`tests/registry/test_route_matching.py` holds every documented operation to the same route with and
without the shortcut.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope


class PrefixRouter(APIRouter):
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # The path the routes' own expressions are matched against (the root path taken off).
        if not get_route_path(scope).startswith(self.prefix):
            return Match.NONE, {}
        return super().matches(scope)
