"""Payload timestamps (`verification.payloads.common.parse_timestamp`): RFC 3339 with a time zone, as UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verification.leaf import from_microseconds, to_microseconds
from verification.payloads.common import parse_timestamp

NOT_RFC3339 = "timestamps are RFC 3339 strings with a time zone"


def test_an_offset_is_read_as_the_same_instant_in_utc_every_time() -> None:
    first = parse_timestamp("2026-01-31T01:30:00+02:00")
    again = parse_timestamp("2026-01-31T01:30:00+02:00")
    assert first == again == datetime(2026, 1, 30, 23, 30, tzinfo=UTC)
    assert first.tzinfo is UTC
    assert again.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-01-31T00:00:00", NOT_RFC3339),
        ("2026-01-31", NOT_RFC3339),
        (" 2026-01-31T00:00:00Z", NOT_RFC3339),
        ("2026-02-30T00:00:00Z", "day is out of range"),
        ("9999-12-31T23:00:00-02:00", "outside the years 1 to 9999"),
    ],
)
def test_a_refused_text_is_refused_every_time_it_comes(text: str, reason: str) -> None:
    for _ in range(2):  # a remembered instant is only ever one that parsed
        with pytest.raises(ValueError, match=reason):
            parse_timestamp(text)


def test_a_datetime_must_carry_a_time_zone_and_anything_else_is_refused() -> None:
    an_hour_east = timezone(timedelta(hours=1))
    assert parse_timestamp(datetime(2026, 1, 31, 1, tzinfo=an_hour_east)) == datetime(2026, 1, 31, tzinfo=UTC)
    with pytest.raises(ValueError, match="must carry a time zone"):
        parse_timestamp(datetime(2026, 1, 31, tzinfo=an_hour_east).replace(tzinfo=None))
    for value in (1_769_817_600, None, ["2026-01-31T00:00:00Z"]):
        with pytest.raises(ValueError, match=NOT_RFC3339):
            parse_timestamp(value)


@given(st.integers(min_value=-62_135_596_800_000_000, max_value=253_402_300_799_999_999))
def test_microseconds_make_the_datetime_timedelta_makes_of_them(microseconds: int) -> None:
    # `from_microseconds` multiplies one microsecond rather than parsing `timedelta(microseconds=...)`.
    moment = from_microseconds(microseconds)
    assert moment == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=microseconds)
    assert moment.tzinfo is UTC
    assert to_microseconds(moment) == microseconds


@pytest.mark.parametrize("microseconds", [-62_135_596_800_000_001, 253_402_300_800_000_000, 10**30])
def test_microseconds_outside_the_datetime_range_are_refused(microseconds: int) -> None:
    with pytest.raises(OverflowError):
        from_microseconds(microseconds)
