"""The app floor: the registry's own application with one no-op route, for the benchmarks only.

`python -m benchmarks.floor_app --port N` runs `ecolabel_registry.cli.serve` itself with only the
application factory swapped for `create_app` below, which builds the registry exactly as `serve` does
(`app_from_environment`: settings from `ECOLABEL_*`, lifespan, every middleware: request id, metrics
and access log, read consistency, client rate limit, body-size limit, bulkhead) and then puts one
`async def` route that does nothing at the front of its routes. What a request to it costs is the least
any request to the registry can cost; the gap to `benchmarks.bare_app` is the cost of the stack.

The route exists only in this process: it is added here, not in `ecolabel_registry`, and is left out
of the OpenAPI document, so the registry's API and `openapi/openapi.json` do not change.
"""

from __future__ import annotations

from fastapi import FastAPI

from benchmarks.bare_app import serve_factory
from ecolabel_registry.app import app_from_environment

PATH = "/bench/noop"


def create_app() -> FastAPI:
    return with_floor_route(app_from_environment())


def with_floor_route(app: FastAPI) -> FastAPI:
    """The registry's application with the no-op route at `PATH` put in front of its routes."""

    async def noop() -> dict[str, str]:
        return {"status": "ok", "service": "bare"}  # what the bare endpoint answers: the gap is the stack

    app.add_api_route(PATH, noop, methods=["GET"], include_in_schema=False)
    # First, as the single verification is: matching every registry route before it would add their
    # cost to the floor (routes are tried in order).
    app.router.routes.insert(0, app.router.routes.pop())
    return app


def main() -> None:
    serve_factory("benchmarks.floor_app", "benchmarks.floor_app:create_app")


if __name__ == "__main__":
    main()
