"""One ASGI middleware per request: its id, its access-log line and its metrics.

The request id comes from an incoming `X-Request-ID` when that is well formed (a proxy or a client
tracing a call end to end), else a fresh random one; it is echoed in the response's `X-Request-ID`
and carried by every log line written while the request runs.
"""

from __future__ import annotations

import logging
import os
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecolabel_registry.observability.logging import json_line, request_id, sole_json_handler, write_line
from ecolabel_registry.observability.metrics import RegistryMetrics, route_template
from ecolabel_registry.problems import unexpected_problem

REQUEST_ID_HEADER = b"x-request-id"
# Printable, no spaces, bounded: an id is copied into every log line, so it must not be able to forge
# or split one.
_WELL_FORMED = re.compile(rb"^[A-Za-z0-9._:-]{8,128}$")
_access = logging.getLogger("ecolabel_registry.access")
_ACCESS_MESSAGE = "%s %s %d"


def _log_access(method: str, route: str, path: str, status: int, elapsed: float) -> None:
    """The access line, as `logger.info` writes it, without looking up the caller's frame.

    `Logger.info` walks the stack for the file, line and function that called it (`findCaller`); no
    formatter of the registry prints them, and for this one line they are always here. The record is
    otherwise the one `info` makes: same logger, level, message, arguments and `extra`, and handled
    the same way (the logger's filters, then each handler up to the root).

    When the line's one handler is the registry's JSON handler, as `serve` configures it, the line is
    written without the record (`logging.sole_json_handler`): its record, two filters and formatter
    were ~12% of a single submission's instructions on the event loop (BENCHMARKS.md).
    """
    extra = {"method": method, "route": route, "path": path, "status": status, "duration_ms": round(elapsed * 1000, 3)}
    args = (method, route, status)

    def record() -> logging.LogRecord:
        return _access.makeRecord(
            _access.name, logging.INFO, __file__, _LOG_ACCESS_LINE, _ACCESS_MESSAGE, args, None, "_log_access", extra
        )

    direct = sole_json_handler(_access, logging.INFO)
    if direct is None:
        _access.handle(record())
        return
    line = json_line(time.time(), "INFO", _access.name, _ACCESS_MESSAGE % args, extra)
    write_line(direct, line, record)


_LOG_ACCESS_LINE = _log_access.__code__.co_firstlineno


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER:
            return value.decode("ascii") if _WELL_FORMED.match(value) else None
    return None


class RequestObservability:
    def __init__(self, app: ASGIApp, *, metrics: RegistryMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A fresh id is 128 random bits in hex, not `uuid4().hex`: building the `UUID` that text came from
        # was ~13,500 instructions of every request on the event loop (BENCHMARKS.md), and nothing reads
        # an id as a UUID (docs/SECURITY.md, request ids).
        rid = _incoming_id(scope) or os.urandom(16).hex()
        token = request_id.set(rid)
        arrived = time.perf_counter()
        status = 500  # what the client sees if the application fails before it starts a response
        responding = False  # whether the response has started (then no other answer can be sent)

        async def send_with_id(message: Message) -> None:
            nonlocal status, responding
            if message["type"] == "http.response.start":
                status, responding = message["status"], True
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, rid.encode("ascii"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if responding:
                raise  # too late for another answer: the server closes the connection
            # Answered here rather than by Starlette's outermost handler, so that the 500 carries the
            # request id, and so does the logged traceback (the id is still set while it is written).
            await unexpected_problem(scope["method"], scope["path"], exc)(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - arrived
            route = route_template(scope)
            self.metrics.observe_request(scope["method"], route, status, elapsed)
            if _access.isEnabledFor(logging.INFO):  # nothing is built for a line nobody writes
                _log_access(scope["method"], route, scope["path"], status, elapsed)
            request_id.reset(token)
