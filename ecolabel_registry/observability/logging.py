"""Structured logs: one JSON object per line, each carrying the id of the request that caused it.

Secrets never reach a log line. The middleware logs no headers and no query strings, only the route
template and path; as a second line of defence every record passes through `Redact`, which masks
bearer credentials, organisation tokens (`elr_<id>_<secret>`), subscriber credentials
(`els_<id>_<secret>`) and PEM blocks wherever they appear,
including in exception text and tracebacks.
"""

from __future__ import annotations

import logging
import math
import re
import sys
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Final

import orjson

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

REDACTED: Final = "[redacted]"
_SECRET_PATTERNS: Final = (
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"\bel[rs]_[0-9a-f]{16}_[A-Za-z0-9_-]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL),
)
# Attributes every LogRecord has; anything else was passed with `extra=` and belongs in the JSON object.
_STANDARD_ATTRIBUTES: Final = frozenset(
    # uvicorn's `color_message` repeats the message with terminal colour codes.
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime", "taskName", "color_message"}
)

# What is not an `extra=` field: a record's own attributes, and the five fields every line starts with.
_NOT_EXTRA: Final = _STANDARD_ATTRIBUTES | {"ts", "level", "logger", "message", "request_id"}


def redact(text: str) -> str:
    # Every pattern needs its literal (the first two case-insensitively); a line with none of them, as
    # nearly every access line is, is returned after a ~1 µs look instead of three ~4 µs regex scans.
    lowered = text.lower()
    if (
        "bearer" not in lowered
        and "basic" not in lowered
        and "elr_" not in text
        and "els_" not in text
        and "-----BEGIN" not in text
    ):
        return text
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


class Redact(logging.Filter):
    """Masks secrets in the rendered message and in exception text, then lets the record through.

    The message is rendered here once and kept, redacted, as the record's text with its arguments spent:
    a formatter's `getMessage` then returns it as it is rather than rendering it a second time.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def iso_milliseconds(created: float) -> str:
    """`datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")`, the second's text kept.

    Every line of a second shares its date and time up to the second, and formatting them took ~1 µs of
    the access line's ~13 (BENCHMARKS.md, changelog "the access line and the wake-ups"). The microsecond
    is what `fromtimestamp` takes: the fraction rounded half to even, a carry into the next second.
    """
    fraction, whole = math.modf(created)
    microsecond = round(fraction * 1e6)
    second = int(whole)
    if microsecond >= 1_000_000:
        second, microsecond = second + 1, microsecond - 1_000_000
    if microsecond < 0 or second < 0:  # before 1970: not a record's time, and not worth a second rule
        return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    kept = _second_text
    if kept[0] != second:
        kept = (second, datetime.fromtimestamp(second, UTC).isoformat(timespec="seconds")[:-6])
        _set_second_text(kept)
    return f"{kept[1]}.{microsecond // 1000:03d}+00:00"


_second_text: tuple[int, str] = (-1, "")


def _set_second_text(kept: tuple[int, str]) -> None:
    global _second_text  # noqa: PLW0603  # one (second, text) pair, replaced whole: safe across threads
    _second_text = kept


def _head(created: float, level: str, logger: str, message: str, rid: str | None) -> dict[str, Any]:
    """The first fields of every JSON line, in their order (`JSONFormatter`, `json_line`)."""
    return {"ts": iso_milliseconds(created), "level": level, "logger": logger, "message": message, "request_id": rid}


class JSONFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", "request_id", ...extra, "exception"}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        body = _head(
            record.created, record.levelname, record.name, record.getMessage(), getattr(record, "request_id", None)
        )
        body.update({k: v for k, v in vars(record).items() if k not in _NOT_EXTRA})
        if record.exc_text or record.exc_info:
            body["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        # Redacted again as a whole: an `extra=` value is not covered by the filter.
        return redact(orjson.dumps(body, default=str).decode())


_OUR_FILTERS: Final = {RequestIdFilter, Redact}


def sole_json_handler(logger: logging.Logger, level: int) -> logging.StreamHandler[Any] | None:
    """The registry's JSON handler, when it is the one handler a record of `logger` at `level` reaches.

    That is `handler("json", ...)` or `uvicorn_log_config("json", ...)`'s: a `StreamHandler` with
    `RequestIdFilter`, `Redact` and `JSONFormatter`, at or below `level`, and no logger on the way to it
    with a filter. Then `json_line` of the record's fields, written by `write_line`, are the bytes the
    record would have written; any other configuration (another handler, a test's capture, a filter,
    the text format) gets None, and its records go through `logging` as before. Looked at for every
    record, not kept: a configuration changed at run time is seen at the next line.
    """
    found: logging.Handler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for each in current.handlers:
            if found is not None:
                return None
            found = each
        if not current.propagate:
            break
        current = current.parent
    if type(found) is not logging.StreamHandler or found.level > level or type(found.formatter) is not JSONFormatter:
        return None
    filters = found.filters
    if len(filters) != 2 or {type(filters[0]), type(filters[1])} != _OUR_FILTERS:
        return None
    return found


def json_line(created: float, level: str, logger: str, message: str, extra: dict[str, Any]) -> str:
    """The line `JSONFormatter` writes for a record of these fields, without exception, that passed
    `RequestIdFilter` and `Redact` now: its message redacted, its request id the current one."""
    body = _head(created, level, logger, redact(message), request_id.get())
    body.update(extra)
    return redact(orjson.dumps(body, default=str).decode())


def write_line(found: logging.StreamHandler[Any], line: str, record: Callable[[], logging.LogRecord]) -> None:
    """`StreamHandler.emit` of a formatted line, under the handler's lock as `Handler.handle` takes it;
    a failed write is reported by the handler's `handleError` for the `record` it would have had."""
    found.acquire()
    try:
        found.stream.write(line + found.terminator)
        found.flush()
    except RecursionError:
        raise
    except Exception:  # noqa: BLE001  # as `StreamHandler.emit`: the handler reports its own failure
        found.handleError(record())
    finally:
        found.release()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        return redact(super().format(record))


def handler(log_format: str, stream: Any = None) -> logging.Handler:
    """A stream handler with the redaction and request-id filters and the chosen format."""
    built = logging.StreamHandler(stream or sys.stderr)
    built.addFilter(RequestIdFilter())
    built.addFilter(Redact())
    built.setFormatter(JSONFormatter() if log_format == "json" else TextFormatter())
    return built


def uvicorn_log_config(log_format: str, level: str) -> dict[str, Any]:
    """The `log_config` handed to uvicorn: its loggers and ours go through one filtered handler.

    uvicorn's own access log is switched off (`access_log=False`): the registry writes its own access
    line, with the route template, status, duration and request id, and without the query string.
    """
    formatter = f"{__name__}.JSONFormatter" if log_format == "json" else f"{__name__}.TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": f"{__name__}.RequestIdFilter"},
            "redact": {"()": f"{__name__}.Redact"},
        },
        "formatters": {"default": {"()": formatter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["request_id", "redact"],
            }
        },
        "loggers": {
            "": {"handlers": ["default"], "level": level},
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }
