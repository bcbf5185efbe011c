"""A log line's text: its time as `datetime` writes it, and its fields in the order they were given."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from ecolabel_registry.observability.logging import handler, iso_milliseconds, request_id


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
