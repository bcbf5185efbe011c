"""A log line's text: its time as `datetime` writes it, and its fields in the order they were given."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from unittest.mock import patch

from hypothesis import example, given
from hypothesis import strategies as st

from ecolabel_registry.observability import middleware
from ecolabel_registry.observability.logging import handler, iso_milliseconds, request_id, sole_json_handler


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


def _warned(message: str, *args: object, extra: dict[str, object]) -> str:
    """The JSON line `logger.warning(message, *args, extra=extra)` writes through the registry's handler."""
    stream = io.StringIO()
    logger = logging.getLogger("ecolabel_registry.test_log_lines")
    installed = handler("json", stream)
    logger.addHandler(installed)
    logger.propagate = False
    try:
        logger.warning(message, *args, extra=extra)
    finally:
        logger.removeHandler(installed)
        logger.propagate = True
    return stream.getvalue()


def test_a_lines_extra_fields_follow_its_five_in_the_order_given() -> None:
    line = json.loads(_warned("%s went %d", "it", 3, extra={"zeta": 1, "alpha": "a", "ts_of_origin": None}))
    assert list(line) == ["ts", "level", "logger", "message", "request_id", "zeta", "alpha", "ts_of_origin"]
    assert (line["message"], line["level"], line["zeta"], line["alpha"]) == ("it went 3", "WARNING", 1, "a")


def test_a_records_line_is_these_bytes_with_its_message_rendered_once() -> None:
    rendered = 0

    class Counted:
        def __str__(self) -> str:
            nonlocal rendered
            rendered += 1
            return "50% of /v1/certificates"

    stream = io.StringIO()
    logger = logging.getLogger("ecolabel_registry.test_log_lines")
    installed = handler("json", stream)
    token = request_id.set("req-0003-abcdef")
    record = logger.makeRecord(
        logger.name, logging.INFO, __file__, 1, "%s %s %d", ("POST", Counted(), 201), None, extra={"status": 201}
    )
    record.created = 1765000000.0015
    try:
        installed.handle(record)
    finally:
        request_id.reset(token)
    assert stream.getvalue() == (
        '{"ts":"2025-12-06T05:46:40.001+00:00","level":"INFO","logger":"ecolabel_registry.test_log_lines",'
        '"message":"POST 50% of /v1/certificates 201","request_id":"req-0003-abcdef","status":201}\n'
    )
    assert rendered == 1


def test_a_secret_in_a_messages_arguments_is_redacted_in_its_line() -> None:
    written = _warned("sent %s to %s", "Bearer s3cr3t-t0ken", "elr_0123456789abcdef_S3cr3t", extra={"n": 1})
    assert json.loads(written)["message"] == "sent [redacted] to [redacted]"
    assert "s3cr3t" not in written
    assert "S3cr3t" not in written


@contextmanager
def _access_to(installed: logging.Handler) -> Iterator[logging.Logger]:
    """The access logger with `installed` as the one handler its records reach."""
    access = logging.getLogger("ecolabel_registry.access")
    access.addHandler(installed)
    access.propagate = False
    try:
        yield access
    finally:
        access.removeHandler(installed)
        access.propagate = True


_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)


@given(
    method=st.sampled_from(["GET", "POST"]) | _TEXT,
    route=st.sampled_from(["/v1/certificates", "/v1/x/Bearer s3cr3t", 'a"b\\c', "elr_0123456789abcdef_S3c"]) | _TEXT,
    path=_TEXT,
    status=st.integers(100, 599),
    elapsed=st.floats(0, 100, allow_nan=False),
    created=st.floats(min_value=1e9, max_value=2**33, allow_nan=False),
    rid=st.none() | st.just("req-0004-abcdef"),
)
@example(
    method="POST",
    route="/v1/certificates",
    path="/v1/certificates",
    status=201,
    elapsed=0.0123456,
    created=1765000000.0015,
    rid="req-0004-abcdef",
)
def test_an_access_line_written_without_its_record_is_the_records_line(
    *, method: str, route: str, path: str, status: int, elapsed: float, created: float, rid: str | None
) -> None:
    stream = io.StringIO()
    token = request_id.set(rid)
    try:
        with _access_to(handler("json", stream)) as access, patch("time.time", return_value=created):
            assert sole_json_handler(access, logging.INFO) is not None  # the first line is written directly
            middleware._log_access(method, route, path, status, elapsed)
            access.addFilter(lambda _record: True)  # a logger's filter: through `logging`, as `info` would
            try:
                assert sole_json_handler(access, logging.INFO) is None
                middleware._log_access(method, route, path, status, elapsed)
            finally:
                access.filters.clear()
    finally:
        request_id.reset(token)
    direct, through_logging, after = stream.getvalue().split("\n")  # not `splitlines`: U+2028 stays raw
    assert after == ""
    assert direct == through_logging
    if "Bearer s3cr3t" in route:
        assert "s3cr3t" not in direct


def test_a_line_goes_through_logging_unless_the_json_handler_alone_takes_it() -> None:
    stream = io.StringIO()
    with _access_to(handler("json", stream)) as access:
        assert sole_json_handler(access, logging.INFO) is not None
        assert sole_json_handler(access, logging.DEBUG) is not None
        access.handlers[0].setLevel(logging.WARNING)  # a handler above the line's level
        assert sole_json_handler(access, logging.INFO) is None
        access.handlers[0].setLevel(logging.NOTSET)
        access.handlers[0].filters.pop()  # one of the two filters gone
        assert sole_json_handler(access, logging.INFO) is None
    with _access_to(handler("text", stream)) as access:
        assert sole_json_handler(access, logging.INFO) is None
    with _access_to(handler("json", stream)) as access, _access_to(logging.StreamHandler(stream)):
        assert sole_json_handler(access, logging.INFO) is None  # a second handler sees the record too
    with _access_to(handler("json", stream)) as access:
        access.propagate = True  # the root's handlers (pytest's capture) too
        assert sole_json_handler(access, logging.INFO) is None
