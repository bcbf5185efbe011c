"""A router that refuses requests outside its prefix (`PrefixRouter`) routes every request as before."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match

from ecolabel_registry.api import certificates
from ecolabel_registry.api.routers import PrefixRouter
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.app import create_app
from ecolabel_registry.settings import Settings

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
# Paths near the prefixes' edges, that no documented operation names.
EDGES = (
    "/",
    "/v1",
    "/v1/",
    "/v1/certificates/",
    "/v1/certificatesx",
    "/v1/certificates/x/",
    "/v1/programmes/",
    "/log",
    "/logx",
    "/trqp/v2/",
    "/console/",
    "/healthz/",
    "/nowhere",
)


def _requests() -> list[tuple[str, str]]:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    requests = []
    for template, operations in document["paths"].items():
        path = re.sub(r"\{[^}]+\}", "x", template)
        for method in (*operations, "delete", "put"):  # the methods a route refuses (405) too
            requests.append((method.upper(), path))
            requests.append((method.upper(), path + "/"))
    return requests + [(method, path) for path in EDGES for method in ("GET", "POST")]


def _matches(app: FastAPI, method: str, path: str) -> list[Match]:
    """What each of the application's routes says to the request, in matching order."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}
    return [route.matches(dict(scope))[0] for route in app.router.routes]


def test_every_request_meets_the_same_routes_with_and_without_the_prefix_shortcut(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings)
    requests = _requests()
    assert len(requests) > 100
    shortcut = [_matches(app, method, path) for method, path in requests]
    monkeypatch.setattr(PrefixRouter, "matches", APIRouter.matches)
    assert shortcut == [_matches(app, method, path) for method, path in requests]


def test_a_submission_and_a_lookup_each_find_their_route(settings: Settings) -> None:
    app = create_app(settings)
    # A submission meets the application's own copy of its route first (`certificates.front`), the
    # certificates router's documented one only behind it.
    submission = _matches(app, "POST", "/v1/certificates")
    assert submission.count(Match.FULL) == 2
    assert app.router.routes[submission.index(Match.FULL)] is certificates.front.routes[0]
    assert _matches(app, "GET", "/v1/certificates/" + "0" * 64).count(Match.FULL) == 1


def _scopes(app: FastAPI, method: str, path: str) -> list[tuple[Match, dict[str, object]]]:
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}
    return [route.matches(dict(scope)) for route in app.router.routes if isinstance(route, StrictJSONRoute)]


def test_the_strict_routes_match_every_request_as_fastapi_does(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`StrictJSONRoute.matches` (a literal path compared, a parameter's prefix checked, a literal match's
    child scope made at once) gives each request what `APIRoute.matches` gives: the match and the scope."""
    app = create_app(settings)
    strict = [route for route in app.router.routes if isinstance(route, StrictJSONRoute)]
    assert any(route.param_convertors for route in strict)
    assert any(not route.param_convertors for route in strict)
    requests = _requests() + [
        (method, path + suffix)
        for route in strict
        for path in (route.path.replace("{certificate_id}", "0" * 64),)
        for suffix in ("", "\n", "/", "x")
        for method in ("GET", "POST", "HEAD")
    ]
    shortcut = [_scopes(app, method, path) for method, path in requests]
    assert any(match is Match.FULL for found in shortcut for match, _ in found)
    assert any(match is Match.PARTIAL for found in shortcut for match, _ in found)
    monkeypatch.setattr(StrictJSONRoute, "matches", APIRoute.matches)
    assert shortcut == [_scopes(app, method, path) for method, path in requests]
