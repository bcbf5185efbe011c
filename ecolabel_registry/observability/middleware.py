"""One ASGI middleware per request: its id, its access-log line and its metrics.

The request id comes from an incoming `X-Request-ID` when that is well formed (a proxy or a client
tracing a call end to end), else a fresh random one; it is echoed in the response's `X-Request-ID`
and carried by every log line written while the request runs.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecolabel_registry.observability.logging import request_id
from ecolabel_registry.observability.metrics import RegistryMetrics, route_template
from ecolabel_registry.problems import unexpected_problem

REQUEST_ID_HEADER = b"x-request-id"
# Printable, no spaces, bounded: an id is copied into every log line, so it must not be able to forge
# or split one.
_WELL_FORMED = re.compile(rb"^[A-Za-z0-9._:-]{8,128}$")
_access = logging.getLogger("ecolabel_registry.access")
_ACCESS_MESSAGE = "%s %s %d"


def _log_access(method: str, route: str, path: str, status: int, elapsed: float) -> None:
    """The access line, as `_access.info` writes it, without looking up the caller's frame.

    `Logger.info` walks the stack for the file, line and function that called it (`findCaller`); no
    formatter of the registry prints them, and for this one line they are always here. The record is
    otherwise the one `info` makes: same logger, level, message, arguments and `extra`, and handled
    the same way (the logger's filters, then each handler up to the root).
    """
    extra = {"method": method, "route": route, "path": path, "status": status, "duration_ms": round(elapsed * 1000, 3)}
    args = (method, route, status)
    record = _access_record(args, extra) if _RECORD_FIELDS is not None and _made_as_usual() else None
    if record is None:
        record = _access.makeRecord(
            _access.name, logging.INFO, __file__, _LOG_ACCESS_LINE, _ACCESS_MESSAGE, args, None, "_log_access", extra
        )
    _access.handle(record)


_LOG_ACCESS_LINE = _log_access.__code__.co_firstlineno


def _made_as_usual() -> bool:
    """Records come from `LogRecord` itself, with every field on, as `_access_record` assumes."""
    return (
        logging.getLogRecordFactory() is logging.LogRecord
        and type(_access).makeRecord is logging.Logger.makeRecord
        and logging.logThreads
        and logging.logProcesses
        and logging.logMultiprocessing
    )


def _record_fields() -> dict[str, Any] | None:
    """An access record's fields in `LogRecord.__init__`'s order, those that never change with their
    values; None on an interpreter whose records have other fields (`_access_record` would miss them)."""
    made = vars(
        logging.LogRecord(
            _access.name, logging.INFO, __file__, _LOG_ACCESS_LINE, _ACCESS_MESSAGE, (), None, "_log_access"
        )
    )
    return dict(made) if tuple(made) == _RECORD_FIELD_ORDER else None


_RECORD_FIELD_ORDER = (
    *("name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info", "exc_text"),
    *("stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread", "threadName"),
    *("processName", "process"),
)
_RECORD_FIELDS = _record_fields()


def _access_record(args: tuple[str, str, int], extra: dict[str, Any]) -> logging.LogRecord:
    """`_access.makeRecord(...)` for the access line, its attributes equal and in the same order
    (`tests/reliability/test_log_lines.py`), the fields every access record shares copied from one made
    at start-up: `LogRecord.__init__` works out the file name and module from the path, the level's name
    and more for each record, ~2.5 µs of the access line's ~13 (BENCHMARKS.md, changelog "the access line
    and the wake-ups"). The time, thread and process are each record's own, taken as `__init__` takes them.
    """
    created = time.time()
    record: logging.LogRecord = _new_record(logging.LogRecord)
    fields = record.__dict__
    fields.update(_RECORD_FIELDS)  # type: ignore[arg-type]  # not None: checked by the caller
    fields["args"] = args
    fields["created"] = created
    fields["msecs"] = int((created - int(created)) * 1000) + 0.0
    fields["relativeCreated"] = (created - logging._startTime) * 1000  # type: ignore[attr-defined]  # as __init__
    fields["thread"] = threading.get_ident()
    fields["threadName"] = threading.current_thread().name
    process_name = "MainProcess"
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None:
        # As `LogRecord.__init__`: a module still being imported names no process. (A `try`, not
        # `contextlib.suppress`, whose context manager would cost more than the rest of this line.)
        try:  # noqa: SIM105
            process_name = multiprocessing.current_process().name
        except Exception:  # noqa: BLE001, S110
            pass
    fields["processName"] = process_name
    fields["process"] = os.getpid()
    fields.update(extra)
    return record


_new_record = logging.LogRecord.__new__


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
        rid = _incoming_id(scope) or uuid.uuid4().hex
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
