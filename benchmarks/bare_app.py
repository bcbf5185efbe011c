"""The bare endpoint: the least a request can cost on the registry's server stack.

`python -m benchmarks.bare_app --port N` runs `ecolabel_registry.cli.serve` itself with only the
application swapped for this one, so uvicorn gets exactly the options the registry gets (workers,
keep-alive, headers, and whatever is added to `serve` later). It has two endpoints: a plain `def`, which
pays for FastAPI's thread-pool hand-off like most registry endpoints, and an `async def`, which does not
(the registry's single verification runs on the event loop on SQLite). The faster is the limit: what is
left between a figure and it is the registry's own work, middleware and choice of endpoint kind.
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from fastapi import FastAPI

from ecolabel_registry import cli

PATH = "/ping"  # a plain `def`, run on the thread pool like most registry endpoints
ASYNC_PATH = "/ping-async"  # an `async def` on the event loop: the cheapest endpoint the stack has


def create_app() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get(PATH)
    def ping() -> dict[str, str]:
        return {"status": "ok", "service": "bare"}

    @app.get(ASYNC_PATH)
    async def ping_async() -> dict[str, str]:
        return {"status": "ok", "service": "bare"}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve_factory(prog: str, factory: str) -> None:
    """`ecolabel-registry serve` with its every option, serving the application `factory` makes instead."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    registry_run = uvicorn.run

    def run_factory(_app: Any, **options: Any) -> None:
        registry_run(factory, **options)  # options unchanged, factory=True included

    # `serve` calls uvicorn.run(app, **options): swap only the application, keep every option.
    uvicorn.run = run_factory  # type: ignore[assignment]
    cli.serve(host=args.host, port=args.port, workers=args.workers)


def main() -> None:
    serve_factory("benchmarks.bare_app", "benchmarks.bare_app:create_app")


if __name__ == "__main__":
    main()
