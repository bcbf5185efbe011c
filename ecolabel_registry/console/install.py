"""Wiring the console into the app: static files, the pages, and `/` leading to the console."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from ecolabel_registry.console.pages import router
from ecolabel_registry.console.rendering import PREFIX

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount `/console/static` before the pages, whose catch-all 404 page would otherwise shadow it.

    Nothing here appears in the OpenAPI document: that describes the JSON API only.
    """
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="console-static")
    app.include_router(router)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    icon = (STATIC / "favicon.svg").read_bytes()

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        # Browsers ask for /favicon.ico before reading a page's <link rel="icon">: answer with the same icon.
        return Response(icon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
