"""Cookies and headers that keep the console safe to use in a browser.

- **CSRF**: no console form changes registry state, but signing in does change the browser's session,
  and an eligibility check costs work; every POST carries a double-submit token (a random cookie and
  the same value in the form, compared in constant time). The cookie is SameSite=Strict, so a
  cross-site form post never carries it.
- **Sign-in** keeps an organisation's API token in an HttpOnly, SameSite=Strict cookie scoped to
  /console: scripts cannot read it and other sites cannot send it. The token is checked again on every
  request, so revoking it in the registry ends the console session at once.
- **Headers**: a Content-Security-Policy that allows only our own scripts and styles (no inline script),
  no framing, and `no-store`, because chain pages hold commercially sensitive data.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

CSRF_COOKIE = "console_csrf"
TOKEN_COOKIE = "console_token"  # noqa: S105  (the cookie's name, not a secret)
PATH = "/console"
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)


def csrf_token(request: Request) -> str:
    """The browser's CSRF token: the cookie's, or a new one (set on the response by `finish`)."""
    existing = request.cookies.get(CSRF_COOKIE, "")
    if len(existing) == 43:  # token_urlsafe(32): 43 characters
        return existing
    token: str | None = getattr(request.state, "new_csrf", None)
    if token is None:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def csrf_valid(request: Request, submitted: str) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), submitted.encode())


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def finish(request: Request, response: Response) -> Response:
    """Security headers, and the cookies this request decided to set."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    new_csrf = getattr(request.state, "new_csrf", None)
    if new_csrf is not None:
        response.set_cookie(CSRF_COOKIE, new_csrf, path=PATH, httponly=True, samesite="strict", secure=_secure(request))
    return response


def remember_token(request: Request, response: Response, token: str) -> None:
    # A session cookie (no Max-Age): it ends with the browser session.
    response.set_cookie(TOKEN_COOKIE, token, path=PATH, httponly=True, samesite="strict", secure=_secure(request))


def forget_token(request: Request, response: Response) -> None:
    response.delete_cookie(TOKEN_COOKIE, path=PATH, httponly=True, samesite="strict", secure=_secure(request))


def presented_token(request: Request) -> str | None:
    return request.cookies.get(TOKEN_COOKIE) or None
