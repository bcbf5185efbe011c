"""A log line's text: its time as `datetime` writes it, its fields in the order they were given, and the
access line's record the one the standard library makes."""

from __future__ import annotations

import io
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ecolabel_registry.observability import middleware
from ecolabel_registry.observability.logging import handler, iso_milliseconds


@given(st.floats(min_value=0, max_value=2**33, allow_nan=False, allow_infinity=False))
@example(0.0)
@example(1765000000.0)
@example(1765000000.9999995)  # rounds up into the next second
@example(1765000000.0000005)  # half a microsecond: rounded to even
@example(1765000000.0015)
@example(1765000000.999)
@example(1765000059.9999999)  # the carry crosses a minute
def test_a_lines_time_is_datetimes_to_the_millisecond(created: float) -> None:
    assert iso_milliseconds(created) == datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


def test_the_same_second_twice_and_an_earlier_one_after_it_are_each_their_own() -> None:
    for created in (1765000000.25, 1765000000.75, 1764999999.5, 1765000000.001):
        assert iso_milliseconds(created) == datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


def test_a_lines_extra_fields_follow_its_five_in_the_order_given() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("ecolabel_registry.test_log_lines")
    installed = handler("json", stream)
    logger.addHandler(installed)
    logger.propagate = False
    try:
        logger.warning("%s went %d", "it", 3, extra={"zeta": 1, "alpha": "a", "ts_of_origin": None})
    finally:
        logger.removeHandler(installed)
        logger.propagate = True
    line = json.loads(stream.getvalue())
    assert list(line) == ["ts", "level", "logger", "message", "request_id", "zeta", "alpha", "ts_of_origin"]
    assert (line["message"], line["level"], line["zeta"], line["alpha"]) == ("it went 3", "WARNING", 1, "a")


def test_the_access_record_is_the_one_make_record_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1765000000.123456)
    access = logging.getLogger("ecolabel_registry.access")
    args = ("POST", "/v1/certificates", 201)
    extra = {
        "method": "POST",
        "route": "/v1/certificates",
        "path": "/v1/certificates",
        "status": 201,
        "duration_ms": 1.5,
    }
    assert middleware._RECORD_FIELDS is not None  # the interpreter's records have the fields it copies
    made = access.makeRecord(
        access.name, logging.INFO, middleware.__file__, middleware._LOG_ACCESS_LINE, "%s %s %d", args, None,
        "_log_access", extra,
    )  # fmt: skip
    copied = middleware._access_record(args, extra)
    assert type(copied) is type(made)
    assert list(vars(copied).items()) == list(vars(made).items())


def test_the_access_line_is_made_as_usual_when_records_come_from_another_factory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[logging.LogRecord] = []

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = logging.LogRecord(*args, **kwargs)
        record.tagged = True
        made.append(record)
        return record

    monkeypatch.setattr(logging, "getLogRecordFactory", lambda: factory)
    monkeypatch.setattr(logging, "_logRecordFactory", factory)
    stream = io.StringIO()
    access = logging.getLogger("ecolabel_registry.access")
    installed = handler("json", stream)
    access.addHandler(installed)
    access.setLevel(logging.INFO)
    access.propagate = False
    try:
        middleware._log_access("GET", "/healthz", "/healthz", 200, 0.001)
    finally:
        access.removeHandler(installed)
        access.setLevel(logging.NOTSET)
        access.propagate = True
    assert len(made) == 1
    assert json.loads(stream.getvalue())["tagged"] is True
