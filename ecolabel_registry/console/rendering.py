"""Rendering pages: one Jinja2 environment, the context every template gets, and HTML error pages.

The JSON API answers errors as RFC 9457 problem documents; a person in a browser gets a page in their
language instead. `ConsoleRoute` catches the same domain errors around every console route.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ecolabel_registry.console import i18n, security
from ecolabel_registry.errors import RegistryError

PREFIX = "/console"
_TEMPLATES = Path(__file__).parent / "templates"
_log = logging.getLogger("ecolabel_registry.console")


@cache
def environment() -> Environment:
    # Autoescaping everywhere: every value on a page (holder names, reasons, agreement titles) comes
    # from documents other people signed, so none of it may be trusted as markup.
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["url"] = url
    env.filters["day"] = day
    env.filters["last_day"] = last_day
    env.filters["when"] = when
    return env


def day(moment: str | None) -> str:
    """The date of an RFC 3339 UTC time as the registry writes them (2026-01-31T00:00:00.000000Z)."""
    return (moment or "")[:10]


def last_day(moment: str | None) -> str:
    """The last day an exclusive end still covers: a licence valid until 2029-01-01T00:00Z is valid
    through 2028-12-31. The API keeps the exact, exclusive instant; a person reads the last valid day."""
    if not moment:
        return ""
    try:
        end = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return day(moment)
    return (end.astimezone(UTC) - timedelta(microseconds=1)).date().isoformat()


def when(moment: str | None) -> str:
    """Date and minute, for log times: people read minutes; the exact value stays in the evidence."""
    return f"{moment[:10]} {moment[11:16]} UTC" if moment and len(moment) >= 16 else (moment or "")


def url(path: str = "", /, **params: object) -> str:
    """A console URL with the non-empty query parameters given."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")}, doseq=True)
    return f"{PREFIX}{path}" + (f"?{query}" if query else "")


def translator(request: Request) -> i18n.Translator:
    lang: str | None = getattr(request.state, "console_lang", None)
    if lang is None:
        lang = request.state.console_lang = i18n.negotiate(request)
    return i18n.Translator(lang)


def _language_links(request: Request) -> list[dict[str, str]]:
    links = []
    for code in i18n.SUPPORTED:
        params = {**request.query_params, "lang": code}
        links.append(
            {
                "code": code,
                "html_lang": i18n.HTML_LANG[code],
                "name": i18n.NATIVE_NAMES[code],
                "href": f"{request.url.path}?{urlencode(params)}",
            }
        )
    return links


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    t = translator(request)
    page = (
        environment()
        .get_template(template)
        .render(
            {
                "t": t,
                "lang": t.lang,
                "html_lang": t.html_lang,
                "csrf": security.csrf_token(request),
                "path": request.url.path,
                "languages": _language_links(request),
                "signed_in": security.presented_token(request) is not None,
                **(context or {}),
            }
        )
    )
    response = HTMLResponse(page, status_code=status_code)
    finish(request, response)
    return response


def finish(request: Request, response: Response) -> Response:
    chosen = i18n.from_query(request.query_params.get("lang"))
    if chosen is not None and request.cookies.get(i18n.COOKIE) != chosen:
        response.set_cookie(i18n.COOKIE, chosen, path=PREFIX, samesite="lax", max_age=365 * 86400)
    return security.finish(request, response)


def redirect(request: Request, target: str) -> Response:
    # 303: after a POST the browser follows with a GET (RFC 9110 §15.4.4).
    return finish(request, RedirectResponse(target, status_code=303))


# The console's sections by path, for an error page's way back to where the reader was.
SECTIONS = {"supply": "/supply", "agreements": "/agreements", "eligibility": "/eligibility", "log": "/log"}


def section_of(path: str) -> str:
    """The navigation section a console path belongs to ("search" for certificates and anything else)."""
    first = path.removeprefix(PREFIX).strip("/").split("/", 1)[0]
    return first if first in SECTIONS else "search"


def error_page(request: Request, status_code: int, detail: str | None = None) -> HTMLResponse:
    section = section_of(request.url.path)
    back = {"href": SECTIONS.get(section, "/"), "section": section}
    context = {"status": status_code, "detail": detail, "back": back, "nav": section}
    return render(request, "error.html", context, status_code=status_code)


class ConsoleRoute(APIRoute):
    """Turns domain errors and invalid parameters into HTML error pages instead of problem documents."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except RegistryError as exc:
                if exc.status >= 500:
                    _log.exception("console error on %s", request.url.path, exc_info=exc)
                    return error_page(request, 500)
                return error_page(request, exc.status, exc.detail)
            except RequestValidationError:
                return error_page(request, 400)

        return guarded
