"""The console's pages, one module per subject; every route is left out of the OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ecolabel_registry.console.pages import agreements, atlas, certificates, eligibility, log, supply
from ecolabel_registry.console.rendering import PREFIX, ConsoleRoute, error_page

router = APIRouter(prefix=PREFIX, include_in_schema=False, route_class=ConsoleRoute)
for module in (certificates, eligibility, agreements, atlas, supply, log):
    router.include_router(module.router)


@router.api_route("/{rest:path}", methods=["GET", "POST"])
def not_found(request: Request) -> Response:
    """A console page in the visitor's language, rather than a JSON problem document, for a wrong address."""
    return error_page(request, 404)
