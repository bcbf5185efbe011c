"""The fast canonical encoder writes exactly the bytes of the RFC 8785 reference."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verification.canonical import dumps_canonical, dumps_canonical_fast
from verification.errors import MalformedInput

_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=20)
_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | _text
_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127), max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=400)
@given(_values)
def test_fast_path_equals_the_reference(value: Any) -> None:
    assert dumps_canonical_fast(value) == dumps_canonical(value)


@given(st.dictionaries(_text, _scalars, max_size=5), st.floats(allow_nan=False, allow_infinity=False))
def test_non_ascii_keys_and_floats_fall_back_to_the_reference(mapping: dict[str, Any], number: float) -> None:
    value = {**mapping, "n": number}
    assert dumps_canonical_fast(value) == dumps_canonical(value)


def test_control_characters_and_escapes_match() -> None:
    value = {"s": '\u0000\u0007\b\t\n\f\r\u001f"\\/\u2028\u00e9\U0001f600'}
    assert dumps_canonical_fast(value) == dumps_canonical(value)


class _Colour(StrEnum):
    GREEN = "green"


class _Level(IntEnum):
    HIGH = 3


@pytest.mark.parametrize(
    "value",
    [
        {"c": _Colour.GREEN, "l": _Level.HIGH, "b": [True, False, None]},  # subclasses of str and int
        {"big": 2**53, "small": -(2**53)},  # beyond the safe integers: the reference decides
        {"t": ("a", 1)},  # a tuple is not on the fast path
        {"k\u00e9": 1, "a": {"\u00e9": [1]}},  # non-ASCII keys, at the top and nested
        [{"x": 1.5}, "y"],
    ],
)
def test_values_off_the_fast_path_get_the_reference_bytes(value: Any) -> None:
    assert dumps_canonical_fast(value) == dumps_canonical(value)


def test_a_key_that_is_not_a_string_is_refused_as_by_the_reference() -> None:
    with pytest.raises(MalformedInput) as reference:
        dumps_canonical({1: "a"})
    with pytest.raises(MalformedInput) as fast:
        dumps_canonical_fast({1: "a"})
    assert fast.value.code == reference.value.code
