"""Supply-chain pages for a signed-in organisation or auditor: the chain by tier, its audit, its exports.

Signing in takes the organisation API token the operator issued (see `ecolabel_registry.supply.auth`);
the console keeps it in an HttpOnly, SameSite=Strict cookie and authenticates it again on every request,
exactly as the API does, so the same grants decide what a person may read here. The operator's admin
token is refused: it opens every chain, and it has no business sitting in a browser's cookie jar.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Query
from starlette.requests import Request
from starlette.responses import Response

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.clock import now_us
from ecolabel_registry.console import chain_graph, security
from ecolabel_registry.console.rendering import ConsoleRoute, error_page, finish, redirect, render, translator, url
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import read_snapshot
from ecolabel_registry.errors import Unauthorized
from ecolabel_registry.supply import audit, auth, chain, downloads, repository
from ecolabel_registry.supply.risk import LowRiskPolicy
from ecolabel_registry.supply.schemas import INSTANT_PATTERN, Scope, parse_instant
from verification.leaf import to_microseconds

router = APIRouter(route_class=ConsoleRoute)

_ORGANISATION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_INSTANT = re.compile(INSTANT_PATTERN)
EXPORTS = ("svg", "csv", "json", "dot", "bundle")
DEFAULT_DEPTH = 6  # deep enough for most chains, shallow enough for a readable picture


def _principal(request: Request, context: RegistryContext) -> auth.Principal | None:
    token = security.presented_token(request)
    if token is None:
        return None
    with context.engine.connect() as connection:
        try:
            principal = auth.authenticate(connection, token, context.admin_token, now_us())
        except Unauthorized:
            return None  # revoked or expired since sign-in: the person signs in again
    return None if principal.is_operator else principal


def _signed_out(request: Request, message: str | None = None, *, status_code: int = 200) -> Response:
    response = render(request, "supply_signin.html", {"nav": "supply", "message": message}, status_code=status_code)
    if security.presented_token(request) is not None:
        security.forget_token(request, response)
    return response


@router.get("/supply")
def supply_home(request: Request, context: ContextDep) -> Response:
    principal = _principal(request, context)
    if principal is None:
        expired = security.presented_token(request) is not None
        return _signed_out(request, translator(request)("supply.signin.expired") if expired else None)
    now = now_us()
    with context.engine.connect() as connection:
        readable = auth.readable_roots(connection, principal, now) or set()
        organisations = repository.organisations_by_id(connection, readable)
    t = translator(request)
    chains = sorted(
        (
            {"id": oid, "name": t.name(row["names"]), "own": oid == principal.organisation_id}
            for oid, row in organisations.items()
        ),
        key=lambda item: (not item["own"], item["name"]),
    )
    return render(request, "supply_home.html", {"nav": "supply", "chains": chains})


@router.post("/supply/sign-in")
def sign_in(
    request: Request,
    context: ContextDep,
    csrf: Annotated[str, Form(max_length=64)] = "",
    token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    t = translator(request)
    if not security.csrf_valid(request, csrf):
        return error_page(request, 403, t("error.csrf"))
    with context.engine.connect() as connection:
        try:
            principal = auth.authenticate(connection, token.strip() or None, context.admin_token, now_us())
        except Unauthorized:
            return _signed_out(request, t("supply.signin.invalid"), status_code=401)
    if principal.is_operator:
        return _signed_out(request, t("supply.signin.operator"), status_code=403)
    if Scope.READ not in principal.scopes:
        return _signed_out(request, t("supply.signin.scope"), status_code=403)
    response = redirect(request, url("/supply"))
    security.remember_token(request, response, token.strip())
    return response


@router.post("/supply/sign-out")
def sign_out(request: Request, csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
    if not security.csrf_valid(request, csrf):
        return error_page(request, 403, translator(request)("error.csrf"))
    response = redirect(request, url("/supply"))
    security.forget_token(request, response)
    return response


def _moment(as_of: str) -> int | None:
    """The chain's date in microseconds, None for now; ValueError for text that is not a date."""
    if not as_of:
        return None
    if not _INSTANT.match(as_of):
        raise ValueError(as_of)
    return to_microseconds(parse_instant(as_of))


@router.get("/supply/{organisation_id}")
def supply_chain(
    request: Request,
    organisation_id: str,
    context: ContextDep,
    as_of: Annotated[str, Query(max_length=40)] = "",
    depth: Annotated[int, Query(ge=1, le=256)] = DEFAULT_DEPTH,
) -> Response:
    if not _ORGANISATION_ID.match(organisation_id):
        return error_page(request, 404)
    principal = _principal(request, context)
    if principal is None:
        return _signed_out(request, translator(request)("supply.signin.needed"), status_code=401)
    try:
        moment = _moment(as_of)
    except ValueError:
        return error_page(request, 400, translator(request)("supply.bad_date"))
    now = now_us()
    levels = min(depth, context.settings.supply_max_depth)
    with read_snapshot(context.engine) as connection:
        data = chain.load_for(connection, principal, organisation_id, at_us=moment or now, depth=levels, now_us=now)
    answer = chain.answer(data)
    report = audit.report(data, LowRiskPolicy.from_settings(context.settings), None)
    t = translator(request)
    names = {node.organisation_id: t.name(node.names) for node in answer.nodes}
    return render(
        request,
        "supply_chain.html",
        {
            "nav": "supply",
            "organisation_id": organisation_id,
            "chain": answer,
            "report": report,
            "graph": chain_graph.layout(answer, names),
            "node_w": chain_graph.NODE_W,
            "node_h": chain_graph.NODE_H,
            "fit_line": chain_graph.fit_line,
            "names": names,
            "as_of": as_of,
            "depth": levels,
            "exports": EXPORTS,
        },
    )


@router.get("/supply/{organisation_id}/export")
def export(
    request: Request,
    organisation_id: str,
    context: ContextDep,
    *,
    export_format: Annotated[str, Query(alias="format", max_length=10)] = "json",
    as_of: Annotated[str, Query(max_length=40)] = "",
    depth: Annotated[int, Query(ge=1, le=256)] = DEFAULT_DEPTH,
) -> Response:
    """The export `GET /v1/organisations/{id}/supply-chain/export` gives (`supply.downloads`), signed in here."""
    if not _ORGANISATION_ID.match(organisation_id) or export_format not in EXPORTS:
        return error_page(request, 404)
    principal = _principal(request, context)
    if principal is None:
        return _signed_out(request, translator(request)("supply.signin.needed"), status_code=401)
    if as_of and not _INSTANT.match(as_of):
        return error_page(request, 400, translator(request)("supply.bad_date"))
    now = now_us()
    at = _moment(as_of)
    with read_snapshot(context.engine) as connection:
        found = downloads.export_chain(
            connection,
            context,
            principal,
            organisation_id,
            downloads.ExportFormat(export_format),
            at_us=now if at is None else at,
            depth=min(depth, context.settings.supply_max_depth),
            now_us=now,
        )
    headers = {"Content-Disposition": f'attachment; filename="{found.filename}"'}
    return finish(request, Response(found.content, media_type=found.media_type, headers=headers))
