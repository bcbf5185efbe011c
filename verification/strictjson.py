"""Strict JSON parsing for signed and logged data.

Python's ``json`` module is lenient in ways that are dangerous for signed data: it keeps the *last* of
duplicate object keys (other parsers keep the first, so two verifiers could see different claims,
RFC 8259 §4 leaves it undefined), accepts ``NaN``/``Infinity`` (not JSON at all, RFC 8259 §6), turns
``1e400`` into ``inf``, and happily returns strings with lone UTF-16 surrogates, which RFC 8785 §3.2.2.2
cannot canonicalize. ``loads_strict`` refuses all of these with a :class:`MalformedInput` whose code
names the reason, and bounds size and nesting depth so hostile input cannot exhaust the stack.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

import orjson

from verification.errors import MalformedInput

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_DEPTH", "loads_strict"]

DEFAULT_MAX_BYTES = 1_048_576
DEFAULT_MAX_DEPTH = 64

_SURROGATE = re.compile("[\ud800-\udfff]")


# Without an escape that could decode to a surrogate, no string can hold one (valid UTF-8 carries none),
# so a large body (a catalogue of 10,000 lines) needs only its containers counted, not every string
# searched; any such escape, even half of a valid pair, falls back to the full walk.
_MAYBE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")  # an escape that could decode to a surrogate


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise MalformedInput("DUPLICATE_KEY", f"object member {key!r} appears more than once")
            seen.add(key)
    return obj


def _refuse_constant(name: str) -> NoReturn:
    # Called by json for the non-standard literals NaN, Infinity and -Infinity.
    raise MalformedInput("NON_FINITE_NUMBER", f"{name} is not a JSON number (RFC 8259 §6)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # I-JSON (RFC 7493 §2.2) and RFC 8785 §3.2.2.3 need IEEE 754 doubles; 1e400 would become inf.
        raise MalformedInput("NON_FINITE_NUMBER", f"number {text[:40]} overflows an IEEE 754 double")
    return value


def _to_text(data: bytes | str, max_bytes: int) -> str:
    if isinstance(data, str):
        try:
            size = len(data.encode("utf-8"))
        except UnicodeEncodeError as err:
            # A Python str can hold raw surrogates that no UTF-8 byte sequence can carry.
            raise MalformedInput("LONE_SURROGATE", "text contains an unpaired UTF-16 surrogate") from err
    else:
        size = len(data)
    if size > max_bytes:
        raise MalformedInput("TOO_LARGE", f"{size} bytes exceeds the limit of {max_bytes}")
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")  # strict: refuses overlongs, encoded surrogates and truncation
    except UnicodeDecodeError as err:
        raise MalformedInput("INVALID_UTF8", f"not UTF-8 at byte {err.start}") from err


def _depth_at_most(value: Any, max_depth: int) -> bool:
    """The nesting of the parsed value, one level of containers at a time (strings are not visited)."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return False
        below: list[Any] = []
        for node in level:
            for child in node.values() if isinstance(node, dict) else node:
                if isinstance(child, dict | list):
                    below.append(child)
        level = below
    return True


def _check_text(text: str, value: Any, max_depth: int) -> None:
    if _MAYBE_SURROGATE.search(text):
        _check_tree(value, max_depth)  # a \uD8xx-\uDFxx escape (maybe half of a valid pair): look at every string
    elif text.count("{") + text.count("[") <= max_depth:
        return  # every container opens with one of these (strings only add to the count): not too deep
    elif not _depth_at_most(value, max_depth):
        raise MalformedInput("TOO_DEEP", f"nesting deeper than {max_depth} levels")


def _check_tree(value: Any, max_depth: int) -> None:
    """Walk the parsed value with an explicit stack: depth limit and lone-surrogate check."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                # A "\ud800" escape parses to a str RFC 8785 §3.2.2.2 cannot serialize as UTF-8.
                raise MalformedInput("LONE_SURROGATE", "string contains an unpaired \\uD800-\\uDFFF escape")
        elif isinstance(node, dict | list):
            if depth + 1 > max_depth:
                raise MalformedInput("TOO_DEEP", f"nesting deeper than {max_depth} levels")
            children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)


# What `json.loads(text, object_pairs_hook=..., parse_constant=..., parse_float=...)` builds for each call,
# built once: the decoder keeps no state between documents (the module's own default decoder is shared
# the same way).
_DECODER = json.JSONDecoder(object_pairs_hook=_object_pairs, parse_constant=_refuse_constant, parse_float=_finite_float)


def loads_strict(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse one JSON text (RFC 8259) and refuse anything a second parser could read differently.

    Raises :class:`MalformedInput` with code ``INVALID_UTF8``, ``INVALID_JSON``, ``DUPLICATE_KEY``,
    ``NON_FINITE_NUMBER``, ``TOO_DEEP``, ``TOO_LARGE`` or ``LONE_SURROGATE``.
    """
    if isinstance(data, bytes) and len(data) <= max_bytes:
        value = _compact(data, max_depth)
        if value is not _NOT_COMPACT:
            return value
    return _parsed(data, max_bytes=max_bytes, max_depth=max_depth)


_NOT_COMPACT: Any = object()


def _compact(data: bytes, max_depth: int) -> Any:
    """The value of `data` when it is written exactly as `orjson.dumps` writes its own value, else
    `_NOT_COMPACT` (and `_parsed` decides, with its own errors).

    Signed credentials, catalogue bodies and most other documents arrive in that compact form, which the
    strict parse below read at ~30 µs a credential where this takes ~4. Byte for byte equality is what
    makes it the same answer: the re-encoded value has one member per key, so the text had no duplicate
    key; orjson refuses NaN, Infinity, overflowing numbers, invalid UTF-8 and lone surrogate escapes,
    and writes no `\\uD8xx` escape, so no string can hold a surrogate; a number it writes back unchanged
    is the shortest form of the double (or the integer) it read, which `float`/`int` read the same; and
    strings are read alike. Only the depth is left, counted as `_check_text` counts it.
    """
    try:
        value = orjson.loads(data)
        same = orjson.dumps(value) == data
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return _NOT_COMPACT
    if not same:
        return _NOT_COMPACT
    if _one_level(value) and max_depth >= 1:  # a single submission's `{"credential": JWS}`: no count
        return value
    if data.count(b"{") + data.count(b"[") > max_depth and not _depth_at_most(value, max_depth):
        return _NOT_COMPACT  # too deep: refused by `_parsed`, with its code and message
    return value


def _one_level(value: Any) -> bool:
    """True for an object of a few members none of which is a container: one level deep. Told from the
    members, not by counting brackets in the text, which cost ~9,000 instructions for a credential's
    ~900 bytes (BENCHMARKS.md, changelog "the access line and the wake-ups")."""
    if not isinstance(value, dict) or len(value) > 8:
        return False
    # A plain loop over a tuple of the two types: `any` over a generator of `isinstance(v, dict | list)`
    # built a union type per member and cost four times as much (~1 µs for a TRQP query's body).
    for member in value.values():  # noqa: SIM110  # the generator `all(...)` would bring back
        if isinstance(member, _CONTAINERS):
            return False
    return True


_CONTAINERS = (dict, list)


def _parsed(data: bytes | str, *, max_bytes: int, max_depth: int) -> Any:
    """`loads_strict` by the standard library's parser with strict hooks: any JSON text, any spelling."""
    text = _to_text(data, max_bytes)
    try:
        if text.startswith("\ufeff"):  # as `json.loads` refuses it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = _DECODER.decode(text)
    except RecursionError as err:
        # The C scanner recurses per nesting level; refuse instead of letting the stack decide.
        raise MalformedInput("TOO_DEEP", f"nesting deeper than {max_depth} levels") from err
    except ValueError as err:  # json.JSONDecodeError, and int() refusing over-long digit strings
        raise MalformedInput("INVALID_JSON", str(err)) from err
    _check_text(text, value, max_depth)
    return value
