"""Criteria versions: dotted decimal versions are ordered, any other version only equals itself."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verification.versions import VersionRange, numeric_key


@pytest.mark.parametrize(
    ("lower", "higher"),
    [("1", "2"), ("2", "2.1"), ("2.1", "2.2"), ("2.2", "2.10"), ("2.10", "10"), ("1.9.9", "2"), ("05", "6")],
)
def test_dotted_decimal_versions_compare_component_by_component(lower: str, higher: str) -> None:
    assert numeric_key(lower) is not None
    assert numeric_key(lower) < numeric_key(higher)  # type: ignore[operator]  # both numeric, checked above


@pytest.mark.parametrize(("a", "b"), [("2", "2.0"), ("2", "2.0.0"), ("3.1", "3.1.0"), ("07", "7")])
def test_trailing_zero_components_and_leading_zeros_do_not_count(a: str, b: str) -> None:
    assert numeric_key(a) == numeric_key(b)


@pytest.mark.parametrize("version", ["FFv2.0i-2006", "2014/312/EU", "v2", "2.", ".2", "1..2", "2-beta", ""])
def test_anything_else_has_no_order(version: str) -> None:
    assert numeric_key(version) is None


def test_a_range_is_inclusive_and_either_end_may_be_open() -> None:
    bounded = VersionRange("2", "3")
    assert [bounded.contains(v) for v in ("1.9", "2", "2.0", "2.5", "3", "3.0.0", "3.1")] == [
        False,
        True,
        True,
        True,
        True,
        True,
        False,
    ]
    assert VersionRange(min="2").contains("99")
    assert not VersionRange(min="2").contains("1")
    assert VersionRange(max="2").contains("0.1")
    assert not VersionRange(max="2").contains("2.1")
    assert VersionRange().contains("FFv2.0i-2006")
    assert VersionRange().contains("7")


def test_a_version_without_order_matches_only_itself() -> None:
    exact = VersionRange.exactly("FFv2.0i-2006")
    assert exact.contains("FFv2.0i-2006")
    assert not exact.contains("FFv2.0i-2007")
    assert not VersionRange("1", "9").contains("FFv2.0i-2006")
    assert not VersionRange(min="1").contains("v2")


@pytest.mark.parametrize(
    ("low", "high"), [("3", "2"), ("FFv2", None), (None, "2014/312/EU"), ("1", "FFv2"), ("a", "b")]
)
def test_ranges_that_cannot_be_ordered_are_refused(low: str | None, high: str | None) -> None:
    with pytest.raises(ValueError, match=r"order|above"):
        VersionRange(low, high)


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        (VersionRange("1", "3"), VersionRange("3", "5"), True),
        (VersionRange("1", "2.9"), VersionRange("3", "5"), False),
        (VersionRange(min="4"), VersionRange(max="4.0"), True),
        (VersionRange(min="4.1"), VersionRange(max="4"), False),
        (VersionRange(), VersionRange.exactly("x"), True),
        (VersionRange.exactly("x"), VersionRange.exactly("x"), True),
        (VersionRange.exactly("x"), VersionRange.exactly("y"), False),
        (VersionRange.exactly("x"), VersionRange("1", "9"), False),
    ],
)
def test_overlap_is_symmetric_and_means_a_shared_version(
    first: VersionRange, second: VersionRange, overlap: bool
) -> None:
    assert first.overlaps(second) is overlap
    assert second.overlaps(first) is overlap


_numeric = st.lists(st.integers(0, 30), min_size=1, max_size=4).map(lambda parts: ".".join(map(str, parts)))


@given(_numeric, _numeric, _numeric)
def test_containment_agrees_with_the_order(low: str, high: str, version: str) -> None:
    low_key, high_key, key = numeric_key(low), numeric_key(high), numeric_key(version)
    assert low_key is not None
    assert high_key is not None
    assert key is not None
    if low_key > high_key:
        low, high, low_key, high_key = high, low, high_key, low_key
    assert VersionRange(low, high).contains(version) == (low_key <= key <= high_key)
    assert VersionRange.exactly(version).overlaps(VersionRange(low, high)) == (low_key <= key <= high_key)
