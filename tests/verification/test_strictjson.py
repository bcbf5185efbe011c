"""verification.strictjson and verification.canonical: every refusal code, and JCS idempotence."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from verification import strictjson
from verification.canonical import dumps_canonical
from verification.errors import MalformedInput
from verification.strictjson import loads_strict

REFUSALS = [
    ("invalid-utf8", b'"\xff"', "INVALID_UTF8"),
    ("utf8-encoded-surrogate", b'"\xed\xa0\x80"', "INVALID_UTF8"),
    ("truncated-utf8", b'"\xe2\x82"', "INVALID_UTF8"),
    ("unterminated", b'{"a": 1', "INVALID_JSON"),
    ("empty", b"", "INVALID_JSON"),
    ("single-quotes", b"{'a': 1}", "INVALID_JSON"),
    ("trailing-comma", b"[1, 2,]", "INVALID_JSON"),
    ("two-values", b"1 2", "INVALID_JSON"),
    ("byte-order-mark", b'\xef\xbb\xbf{"a": 1}', "INVALID_JSON"),
    ("raw-control-char", b'"a\x01b"', "INVALID_JSON"),
    ("duplicate-key", b'{"a": 1, "a": 2}', "DUPLICATE_KEY"),
    ("nested-duplicate-key", b'{"a": [{"b": 1, "b": 1}]}', "DUPLICATE_KEY"),
    ("duplicate-via-escape", b'{"a": 1, "\\u0061": 2}', "DUPLICATE_KEY"),
    ("nan", b"[NaN]", "NON_FINITE_NUMBER"),
    ("infinity", b'{"x": Infinity}', "NON_FINITE_NUMBER"),
    ("minus-infinity", b"-Infinity", "NON_FINITE_NUMBER"),
    ("overflow", b"[1e400]", "NON_FINITE_NUMBER"),
    ("negative-overflow", b"-1.5e400", "NON_FINITE_NUMBER"),
    ("too-deep", b"[" * 65 + b"]" * 65, "TOO_DEEP"),
    ("too-deep-objects", b'{"a":' * 65 + b"1" + b"}" * 65, "TOO_DEEP"),
    ("beyond-recursion-limit", b"[" * 100_000 + b"]" * 100_000, "TOO_DEEP"),
    ("too-large", b'"' + b"a" * 1_048_576 + b'"', "TOO_LARGE"),
    ("lone-high-surrogate", b'"\\ud800"', "LONE_SURROGATE"),
    ("lone-low-surrogate-key", b'{"\\udc00": 1}', "LONE_SURROGATE"),
    ("reversed-pair", b'"\\ude02\\ud83d"', "LONE_SURROGATE"),
]


@pytest.mark.parametrize(("data", "code"), [(d, c) for _, d, c in REFUSALS], ids=[n for n, _, _ in REFUSALS])
def test_refusals(data: bytes, code: str) -> None:
    with pytest.raises(MalformedInput) as caught:
        loads_strict(data)
    assert caught.value.code == code


def test_str_input_is_measured_in_utf8_bytes() -> None:
    with pytest.raises(MalformedInput, match="TOO_LARGE"):
        loads_strict('"' + "é" * 10 + '"', max_bytes=20)
    assert loads_strict('"' + "é" * 8 + '"', max_bytes=20) == "é" * 8


def test_str_input_with_raw_surrogate() -> None:
    with pytest.raises(MalformedInput, match="LONE_SURROGATE"):
        loads_strict('"\ud800"')


def test_limits_are_inclusive_and_configurable() -> None:
    assert loads_strict(b"[" * 64 + b"]" * 64) is not None
    with pytest.raises(MalformedInput, match="TOO_DEEP"):
        loads_strict(b"[[1]]", max_depth=1)
    assert loads_strict(b"[1]", max_depth=1) == [1]
    assert loads_strict(b"1", max_depth=0) == 1


def test_accepts_ordinary_json() -> None:
    assert loads_strict(b'{"a": [1, 2.5, "\\ud83d\\ude02", null, true]}') == {"a": [1, 2.5, "😂", None, True]}
    assert loads_strict(" [] ") == []


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (2**53 + 1, "INTEGER_OUT_OF_RANGE"),
        (10**400, "INTEGER_OUT_OF_RANGE"),
        ({1, 2}, "NOT_CANONICALIZABLE"),
        ("\ud800", "LONE_SURROGATE"),
        ({"\udc00": 1}, "LONE_SURROGATE"),
        (float("nan"), "NON_FINITE_NUMBER"),
    ],
    ids=["inexact-big-int", "beyond-double-range", "set", "surrogate-value", "surrogate-key", "nan"],
)
def test_canonical_refusals(value: Any, code: str) -> None:
    with pytest.raises(MalformedInput) as caught:
        dumps_canonical(value)
    assert caught.value.code == code


def test_big_integers_that_are_doubles_canonicalize_as_doubles() -> None:
    # JCS prints the double 2**60 as 1152921504606847000; parsing gives an int that must round-trip.
    assert dumps_canonical(2.0**60) == b"1152921504606847000"
    assert dumps_canonical(2**60) == b"1152921504606847000"  # exactly that double
    assert dumps_canonical(loads_strict(b"[1152921504606847000]")) == b"[1152921504606847000]"
    assert dumps_canonical({"n": 10**21}) == b'{"n":1e+21}'


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_canonicalization_is_idempotent(value: Any) -> None:
    canonical = dumps_canonical(value)
    assert dumps_canonical(loads_strict(canonical)) == canonical


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=25,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)  # no wall-clock limit: the machine may be busy
@given(_JSON_VALUES, st.integers(0, 6), st.booleans())
def test_the_depth_read_from_the_text_is_the_depth_of_the_tree(value: Any, max_depth: int, ascii_only: bool) -> None:
    # Bodies without surrogate escapes skip the string-by-string walk and count containers only; the
    # limit must hold exactly as before, whatever brackets or escapes the strings carry.
    text = json.dumps(value, ensure_ascii=ascii_only)
    if _depth(value) <= max_depth:
        assert loads_strict(text, max_depth=max_depth) == value
    else:
        with pytest.raises(MalformedInput, match="TOO_DEEP"):
            loads_strict(text, max_depth=max_depth)


@pytest.mark.parametrize(
    "text",
    ['\ufeff{"a": 1}', '{"a": 1', "", "[1, 2,]", "1 2", '{"a": [1.5, -0.0, 1e2, "x"], "b": {"c": null}}', "  7  "],
)
def test_the_shared_decoder_parses_and_refuses_as_json_loads(text: str) -> None:
    """One decoder serves every document: values, and refusal messages, are those of a fresh `json.loads`."""
    try:
        expected: Any = json.loads(text, object_pairs_hook=dict)
    except ValueError as err:
        message = str(err)
    else:
        assert loads_strict(text) == expected
        return
    with pytest.raises(MalformedInput) as refused:
        loads_strict(text)
    assert (refused.value.code, refused.value.detail) == ("INVALID_JSON", message)


def _compact_spelling(data: bytes) -> bytes:
    """The refusal as orjson would write it, where one can: no spaces after separators."""
    return data.replace(b", ", b",").replace(b": ", b":")


@pytest.mark.parametrize(("data", "code"), [(d, c) for _, d, c in REFUSALS], ids=[n for n, _, _ in REFUSALS])
def test_refusals_written_compactly_are_refused_alike(data: bytes, code: str) -> None:
    # Compact texts take the orjson round trip first (`strictjson._compact`): it must refuse them too.
    with pytest.raises(MalformedInput) as caught:
        loads_strict(_compact_spelling(data))
    assert caught.value.code == code


_ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)  # no wall-clock limit: the machine may be busy
@given(_ANY_JSON, st.integers(0, 6), st.sampled_from(["orjson", "json", "json-ascii"]))
@example({"credential": "a.b.c"}, 0, "orjson")  # one level, told from its members: refused at depth 0
@example({"credential": "a.b.c"}, 1, "orjson")
@example({"a": 1, "b": {}}, 1, "orjson")
def test_the_compact_path_gives_what_the_full_parse_gives(value: Any, max_depth: int, writer: str) -> None:
    # Whatever the spelling (orjson's own, which takes the fast path, or another), the value or the
    # refusal is the one the standard library's strict parse gives.
    if writer == "orjson":
        try:
            data = orjson.dumps(value)
        except orjson.JSONEncodeError:  # beyond 64-bit integers: orjson writes no such text
            return
    else:
        data = json.dumps(value, ensure_ascii=writer == "json-ascii", separators=(",", ":")).encode()

    def outcome(parse: Any) -> tuple[str, Any]:
        try:
            value = parse()
        except MalformedInput as refused:
            return "refused", (refused.code, str(refused))
        return "value", (value, json.dumps(value))  # the same types too (1 and 1.0 compare equal)

    full = outcome(lambda: strictjson._parsed(data, max_bytes=strictjson.DEFAULT_MAX_BYTES, max_depth=max_depth))
    assert outcome(lambda: loads_strict(data, max_depth=max_depth)) == full
