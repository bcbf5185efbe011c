"""RFC 8785 JSON Canonicalization Scheme (JCS), the byte form we hash and sign.

Thin wrapper over the ``rfc8785`` package so that its errors surface as :class:`MalformedInput`
and callers never see a third-party exception type.

RFC 8785 §3.2.2.3 treats every JSON number as an IEEE 754 double. ``rfc8785`` refuses Python ints
beyond ±(2**53 - 1), but JCS itself prints large doubles without an exponent (2.0**60 becomes
``1152921504606847000``), which Python parses back as an int; refusing those would make our own
canonical output impossible to re-canonicalize when a signature is checked. So a big int is
canonicalized as its double when it either *is* that double exactly or is already the JCS spelling of
it; any other big int (2**53 + 1, say) is refused, because JCS would silently change its value.
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

from verification.errors import MalformedInput

__all__ = ["dumps_canonical", "dumps_canonical_fast"]

_SAFE_INTEGER = 2**53 - 1


def _ints_as_doubles(obj: Any) -> Any:
    if isinstance(obj, bool) or not isinstance(obj, int | dict | list | tuple):
        return obj
    if isinstance(obj, dict):
        return {key: _ints_as_doubles(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [_ints_as_doubles(value) for value in obj]
    if -_SAFE_INTEGER <= obj <= _SAFE_INTEGER:
        return obj
    try:
        as_double = float(obj)
    except OverflowError as err:
        raise MalformedInput("INTEGER_OUT_OF_RANGE", "integer is beyond the range of a double") from err
    if as_double != obj and rfc8785.dumps(as_double) != str(obj).encode("ascii"):
        raise MalformedInput("INTEGER_OUT_OF_RANGE", f"integer {obj} is not exactly representable as a double")
    return as_double


def dumps_canonical(obj: Any) -> bytes:
    """Serialize ``obj`` per RFC 8785: sorted keys (UTF-16 order, §3.2.3), ES6 numbers (§3.2.2.3), UTF-8."""
    try:
        try:
            return rfc8785.dumps(obj)
        except rfc8785.IntegerDomainError:
            # Rare path: re-walk once, turning exactly-representable big ints into doubles.
            return rfc8785.dumps(_ints_as_doubles(obj))
    except rfc8785.FloatDomainError as err:
        raise MalformedInput("NON_FINITE_NUMBER", str(err)) from err
    except RecursionError as err:
        raise MalformedInput("TOO_DEEP", "value nests too deeply to canonicalize") from err
    except ValueError as err:  # CanonicalizationError, or UnicodeEncodeError from a lone surrogate
        # rfc8785 wraps the UnicodeEncodeError of a lone surrogate in values, but not in keys.
        surrogate = isinstance(err, UnicodeError) or isinstance(err.__cause__, UnicodeError)
        code = "LONE_SURROGATE" if surrogate else "NOT_CANONICALIZABLE"
        raise MalformedInput(code, str(err)) from err


def _fast_path_safe(obj: Any) -> bool:
    # orjson with sorted keys writes exactly the RFC 8785 bytes for strings, safe integers, booleans and
    # null, when every key is ASCII (UTF-16 and code point order agree there). Floats take the slow path.
    # Exact types are told apart by `type(...) is` (a signed decision is walked on every answer); any
    # subclass (a StrEnum member, say) goes through `_subclass_safe`.
    stack = [obj]
    pop, extend = stack.pop, stack.extend
    while stack:
        value = pop()
        kind = type(value)
        if kind is str or kind is bool or value is None:
            continue
        if kind is dict:
            if not _ascii_keys(value):
                return False
            extend(value.values())
        elif kind is list:
            extend(value)
        elif kind is int:
            if not -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
                return False
        elif not _subclass_safe(value, stack):
            return False
    return True


def _ascii_keys(mapping: dict[Any, Any]) -> bool:
    try:
        return "".join(mapping).isascii()  # `join` refuses any key that is not a str
    except TypeError:
        return False


def _subclass_safe(value: Any, stack: list[Any]) -> bool:
    """`_fast_path_safe` for a value of a subclass of the JSON types (or of none): its children go on `stack`."""
    if isinstance(value, dict):
        if not _ascii_keys(value):
            return False
        stack.extend(value.values())
        return True
    if isinstance(value, list):
        stack.extend(value)
        return True
    if isinstance(value, bool | str):
        return True
    if isinstance(value, int):
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    return False


def dumps_canonical_fast(obj: Any) -> bytes:
    """`dumps_canonical`, much faster for float-free data with ASCII keys (large decision documents).

    tests/verification/test_canonical_fast.py checks byte equality with the `rfc8785` package.
    """
    if _fast_path_safe(obj):
        try:
            return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # lone surrogates: let the reference path report them
            pass
    return dumps_canonical(obj)
