"""Agreement pages: every agreement with the map of who recognises whom, and one agreement in full."""

from __future__ import annotations

import re

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ecolabel_registry.agreements import lookup
from ecolabel_registry.agreements.schemas import AgreementOut
from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.console import recognition_map
from ecolabel_registry.console.rendering import ConsoleRoute, error_page, render
from ecolabel_registry.programmes import service as programmes

router = APIRouter(route_class=ConsoleRoute)

_AGREEMENT_ID = re.compile(r"^[0-9a-f]{64}$")
_MAX_AGREEMENTS = 2000  # the map of a registry with more is unreadable anyway; the API pages further
_PAGE = 500


@router.get("/agreements")
def agreements(request: Request, context: ContextDep) -> Response:
    found: list[AgreementOut] = []
    cursor = None
    with context.engine.connect() as connection:
        while len(found) < _MAX_AGREEMENTS:
            items, cursor = lookup.search(connection, party=None, in_force_on=None, cursor=cursor, limit=_PAGE)
            found += items
            if cursor is None:
                break
        names = {p.id: p.names for p in programmes.page(connection, None, _PAGE)[0]}
    return render(
        request,
        "agreements.html",
        {
            "nav": "agreements",
            "agreements": found,
            "map": recognition_map.build(found),
            "names": names,
            "node_radius": recognition_map.NODE_RADIUS,
        },
    )


@router.get("/agreements/{agreement_id}")
def agreement(request: Request, agreement_id: str, context: ContextDep) -> Response:
    if not _AGREEMENT_ID.match(agreement_id):
        return error_page(request, 404)
    with context.engine.connect() as connection:
        detail = lookup.get(connection, agreement_id)
    # Only web addresses become links: the announcement is text a programme signed, not markup we trust.
    announcement_link = detail.announcement if detail.announcement.startswith(("https://", "http://")) else None
    return render(
        request,
        "agreement.html",
        {"nav": "agreements", "a": detail, "announcement_link": announcement_link},
    )
