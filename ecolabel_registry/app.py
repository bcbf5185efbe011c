"""`create_app(settings)` builds the ASGI application; nothing is created at import time."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy.exc import SQLAlchemyError

from ecolabel_registry.api import (
    agreements,
    bulkhead,
    certificates,
    documents,
    dumps,
    equivalence,
    health,
    log,
    programmes,
    schemas,
    statistics,
    subscribers,
    subscriptions,
    supply,
    tiles,
    trqp,
    verify,
    wellknown,
)
from ecolabel_registry.api import metrics as metrics_endpoint
from ecolabel_registry.api.examples import attach_examples, load_examples
from ecolabel_registry.api.gate import RequestGate
from ecolabel_registry.api.limits import BodySizeLimit
from ecolabel_registry.api.problems import install_problem_handlers
from ecolabel_registry.api.ratelimit import ClientRateLimit, KnownCallers, ProgrammeRateLimit, TokenBuckets
from ecolabel_registry.api.tags import OPENAPI_TAGS
from ecolabel_registry.certificates.sequencer import Sequencer
from ecolabel_registry.clock import now_us
from ecolabel_registry.console import install as install_console
from ecolabel_registry.context import JSONLimits, RegistryContext
from ecolabel_registry.db.checkpoints import WalCheckpoints
from ecolabel_registry.db.engine import build_engine, is_sqlite
from ecolabel_registry.identity import caller_key, is_admin_token
from ecolabel_registry.integrity import periodic
from ecolabel_registry.observability.metrics import RegistryMetrics
from ecolabel_registry.observability.middleware import RequestObservability
from ecolabel_registry.replicas import ReadRouting, replica_name
from ecolabel_registry.settings import Settings
from ecolabel_registry.signing_key import load_or_create_signing_key
from verification.note import NoteSigner

API_VERSION = "1.0.0"
DESCRIPTION = (
    "Signed eco-label certificates, mutual-recognition agreements and green supply chains, "
    "with every accepted document in an RFC 9162 transparency log. Errors are RFC 9457 problem "
    "documents whose `type` is `urn:ecolabel-registry:problem:<slug>`. Read-only answers may come from a "
    "read replica, and name the checkpoint (tree size) they were computed at; a client that has seen tree "
    "size N (e.g. in the receipt of its own write) sends `X-Min-Tree-Size: N` to be answered from a "
    "database holding at least N entries."
)

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "An RFC 9457 problem document.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "urn:ecolabel-registry:problem:<slug>, stable per error"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string", "description": "a finer reason code, where the error has one"},
    },
    "additionalProperties": True,
}


def _problems_for_validation_errors(schema: dict[str, Any]) -> None:
    """FastAPI documents 422 as its own error shape; ours is a problem document like every other error."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.pop("ValidationErrorItem", None)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"] = {
                    "description": "The request does not match the schema",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }


def app_from_environment() -> FastAPI:
    """The factory `ecolabel-registry serve` hands to uvicorn: settings come from ECOLABEL_* variables."""
    return create_app(Settings(), serving=True)


def build_context(settings: Settings) -> RegistryContext:
    signing_key = load_or_create_signing_key(settings.signing_key_path)
    engine = build_engine(settings.database_url, pool_size=settings.database_pool_size)
    reads = None
    if settings.database_replica_urls:
        replicas = [
            (replica_name(url), build_engine(url, pool_size=settings.database_pool_size))
            for url in settings.database_replica_urls
        ]
        reads = ReadRouting(
            engine, replicas, max_lag_s=settings.replica_max_lag, interval_s=settings.replica_check_interval
        )
    return RegistryContext(
        settings=settings,
        engine=engine,
        signing_key=signing_key,
        note_signer=NoteSigner.from_private_key(settings.log_origin, signing_key),
        admin_token=settings.resolved_admin_token(),
        reads=reads,
        sequencer=Sequencer(
            max_items=settings.group_commit_max_items, max_wait_s=settings.group_commit_max_wait_ms / 1000
        )
        if settings.group_commit_max_items > 0
        else None,
        first_sights=ThreadPoolExecutor(max_workers=1, thread_name_prefix="first-sight"),
        wal_checkpoints=WalCheckpoints(engine) if is_sqlite(engine) else None,
    )


def _known_callers(app: FastAPI) -> KnownCallers:
    """Who a bearer credential proves, for the client rate limit, read from the running app's context."""

    def is_operator(presented: str) -> bool:
        context: RegistryContext | None = getattr(app.state, "registry", None)
        return context is not None and is_admin_token(presented, context.admin_token)

    def identify(presented: str) -> str | None:
        context: RegistryContext = app.state.registry
        try:
            with context.engine.connect() as connection:
                return caller_key(connection, presented, context.admin_token, now_us())
        except SQLAlchemyError:
            return None  # the request goes on, charged to its address; its endpoint reports the database

    return KnownCallers(is_operator, identify)


def _tune_collector_for_serving() -> None:
    """The collector settings of a long-running `serve` process (not of a test's app)."""
    # Everything built so far (modules, routes, statements, the schema) lives as long as the
    # process: moved out of the collector's generations, a full collection no longer walks it.
    # The collector took ~40% of a bulk eligibility check's CPU before this (BENCHMARKS.md).
    gc.collect()
    gc.freeze()
    # A catalogue check allocates ~100 objects per line; with the default threshold (700) the
    # young generation was collected hundreds of times per request, each time walking what the
    # request had built so far (12% of a 10,000-line check, BENCHMARKS.md).
    gc.set_threshold(50_000, 20, 10)


def _include_routers(app: FastAPI) -> None:
    # Routes are matched in order, each router's candidates in turn: the buyers' hot paths come first
    # (matching every earlier route cost a verification ~80 µs and a recognition answer as much;
    # BENCHMARKS.md). No other router has a path under /v1/verify or /trqp, nor /v1/equivalence, so
    # the order changes no answer. FastAPI's own documentation routes (/openapi.json, /docs, /redoc),
    # which it adds in front when the app is made, follow the hot paths: trying them first cost a TRQP
    # answer 3% of its instructions (BENCHMARKS.md). They are not in the OpenAPI document.
    documentation = list(app.router.routes)
    app.router.routes.clear()
    # The procurement checks' and the recognition answers' routes are the application's own routes, as if
    # declared on it, not an included router's: FastAPI's matching of an included router (its effective
    # routes, the scope bookkeeping, matching again to handle) cost a recognition answer a sixth of its CPU
    # and a single verification ~60,000 instructions in 1.4 million (BENCHMARKS.md, changelog "recognition
    # answers: the answer's own work" and "single verification on SQLite"). A router's prefix and tags are
    # in its routes from the start, and nothing else is merged into them on inclusion (no prefix,
    # dependency or tag is given here), so the routes served are the routers' own.
    # Single submissions, as many as there are certificates, go straight to their route, tried first
    # (`certificates.front`: the same operation, out of the OpenAPI document beside the router's own; it
    # refuses every other path at once, and no route before it matched its path).
    app.router.routes.extend(certificates.front.routes)
    for router in (verify.router, equivalence.router, trqp.router):
        app.router.routes.extend(router.routes)
    app.router.routes.extend(documentation)
    app.include_router(health.router)
    app.include_router(wellknown.router)
    app.include_router(log.router)
    app.include_router(tiles.router)
    app.include_router(documents.router)
    app.include_router(programmes.router)
    app.include_router(certificates.router)
    app.include_router(agreements.router)
    app.include_router(schemas.router)
    app.include_router(subscriptions.router)
    app.include_router(subscribers.router)
    app.include_router(supply.router)
    app.include_router(statistics.router)
    app.include_router(dumps.router)
    app.include_router(metrics_endpoint.router)
    # The web console: HTML pages over the same services, left out of the OpenAPI document.
    install_console(app)


def create_app(settings: Settings, *, serving: bool = False) -> FastAPI:
    """`serving`: this process serves this one application until it exits (`serve`, not a test)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = build_context(settings)
        app.state.registry = context
        setattr(app.state, bulkhead.STATE_KEY, bulkhead.semaphore(settings.catalogue_check_concurrency))
        # Sync endpoints run on anyio's thread pool (40 threads by default). More threads than pooled
        # connections only queue on the pool, or open and close overflow connections, while contending
        # for the GIL; one thread per pooled connection is enough.
        to_thread.current_default_thread_limiter().total_tokens = settings.database_pool_size
        if serving:
            _tune_collector_for_serving()
        context.start()
        try:
            async with periodic.running(context, enabled=serving and settings.fsck_interval_s > 0):
                yield
        finally:
            context.close()

    app = FastAPI(
        title="Eco-label Registry",
        version=API_VERSION,
        description=DESCRIPTION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        # The registry observes itself (Prometheus `/metrics`, JSON access lines with request ids), and
        # FastAPI's native OpenTelemetry is off: with it on, every request asked OpenTelemetry's global
        # providers, three environment reads and lookups, whether to trace it, ~3% of a single
        # submission's instructions on the event loop for spans nobody configures (BENCHMARKS.md).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.json_limits = JSONLimits(
        max_bytes=max(settings.max_body_bytes, settings.max_batch_body_bytes),
        max_depth=settings.max_json_depth,
        max_string_chars=settings.max_string_chars,
    )
    # Per-process state: metrics and rate-limit buckets belong to this app, not to the module.
    app.state.metrics = RegistryMetrics(
        lambda: getattr(getattr(app.state, "registry", None), "engine", None),
        lambda: getattr(getattr(app.state, "registry", None), "reads", None),
    )
    app.state.programme_limit = ProgrammeRateLimit(
        TokenBuckets(settings.rate_limit_programme_per_second, settings.rate_limit_programme_burst)
        if settings.rate_limit_programme_per_second > 0
        else None
    )
    install_problem_handlers(app)
    # Catalogue checks: the API's, and the console's upload (the same check, as a form).
    catalogue_paths = frozenset({"/v1/verify/eligibility", "/console/eligibility"})
    # Every request's checks before its route, in one layer (`api.gate`): X-Min-Tree-Size, the client rate
    # limit, the body size limit, then the catalogue bulkhead. A throttled client's body is never read; a
    # waiting catalogue check has been counted and admitted, not yet read. Observability is outside it, so
    # every answer (429 and 413 included) carries a request id and is counted.
    app.add_middleware(
        RequestGate,
        body=BodySizeLimit(
            max_bytes=settings.max_body_bytes,
            larger=dict.fromkeys(catalogue_paths | {"/v1/certificates/batch"}, settings.max_batch_body_bytes),
        ),
        catalogue_paths=catalogue_paths,
        clients=ClientRateLimit(
            buckets=TokenBuckets(settings.rate_limit_client_per_second, settings.rate_limit_client_burst),
            callers=_known_callers(app),
        )
        if settings.rate_limit_client_per_second > 0
        else None,
    )
    app.add_middleware(RequestObservability, metrics=app.state.metrics)
    _include_routers(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            _problems_for_validation_errors(schema)
            attach_examples(schema, load_examples())
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override hook
    return app
