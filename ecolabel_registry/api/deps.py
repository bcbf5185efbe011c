"""Request dependencies as `Annotated` aliases that read like sentences: `db: DatabaseDep`, `_: AdminOnly`."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ecolabel_registry.clock import now_us
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.errors import Unauthorized
from ecolabel_registry.supply.auth import Principal, authenticate

_bearer = HTTPBearer(auto_error=False, description="The operator's admin token")


# Dependencies that only read memory are `async def`: FastAPI runs a plain `def` dependency on its
# thread pool, and that hand-off cost more than most endpoints' own work (BENCHMARKS.md).
async def get_context(request: Request) -> RegistryContext:
    context: RegistryContext = request.app.state["registry"]  # by key: no failed attribute lookup first
    return context


ContextDep = Annotated[RegistryContext, Depends(get_context)]


async def require_admin(
    context: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if credentials is None:
        raise Unauthorized("this operation needs the admin token as a Bearer credential")
    expected = context.admin_token.get_secret_value().encode()
    # Constant-time comparison: the time taken must not reveal how much of the token matched.
    if not hmac.compare_digest(credentials.credentials.encode(), expected):
        raise Unauthorized("the admin token is wrong")


AdminOnly = Annotated[None, Depends(require_admin)]

_supply_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="SupplyChainToken",
    description="An organisation API token (elr_…) issued by the operator, or the operator's admin token",
)


def get_principal(
    context: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_supply_bearer)],
) -> Principal:
    with context.engine.connect() as connection:
        return authenticate(connection, credentials.credentials if credentials else None, context.admin_token, now_us())


OrganisationPrincipal = Annotated[Principal, Depends(get_principal)]
"""Who calls a supply-chain endpoint: an organisation, with its token's scopes, or the operator."""


async def _raw_body(request: Request) -> bytes:
    # Starlette caches the body on the request, so this is the same buffer the JSON was parsed from.
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]
"""The exact bytes of the request body: what the registry logs, never a re-serialization."""
