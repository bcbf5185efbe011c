"""Identifier types with their check digits, as pydantic annotated types (python-stdnum does the maths).

GTIN (GS1 mod-10, GTIN-8/12/13/14, normalised to 14 digits), GLN (GS1, 13 digits), LEI (ISO 17442,
ISO 7064 mod 97-10), China's unified social credit code (GB 32100, 18 characters), EU VAT numbers,
DUNS (9 digits), Open Supply Hub OS ID (format only: its check digit algorithm is not published) and
ISO 3166-1 alpha-2 country codes.

**One spelling.** Identifiers in signed documents (licence numbers, category codes, criteria versions,
key ids, model designations, GTINs, holder identifiers) are compared byte for byte, and the registry
never rewrites signed bytes, so "IT/044/005 " cannot be read as "IT/044/005": it would be a second
licence. `Tidy` refuses, with the error type `identifier_whitespace` (problem code
IDENTIFIER_WHITESPACE), any identifier with leading or trailing whitespace, a run of two spaces,
whitespace other than U+0020 (tab, line breaks, no-break or ideographic space), or an invisible control
or format character (zero-width space, byte-order mark, bidirectional marks).
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterable
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Final

import pycountry
from pydantic import (
    AfterValidator,
    BeforeValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema
from stdnum import ean, lei, vatin
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

GTIN_LENGTHS = frozenset({8, 12, 13, 14})
IDENTIFIER_WHITESPACE: Final = "IDENTIFIER_WHITESPACE"  # the problem code
WHITESPACE_ERROR_TYPE: Final = "identifier_whitespace"  # the pydantic error type that carries it


def untidy_reason(value: str) -> str | None:
    """Why `value` has more than one spelling as an identifier, or None when it has one."""
    if value != value.strip():
        return "leading or trailing whitespace"
    # Printable ASCII (the common case) holds no control or format character and no whitespace but
    # U+0020: only the run of spaces below can apply, without a look at each character.
    for character in "" if value.isascii() and value.isprintable() else value:
        if character.isspace() and character != " ":
            return f"whitespace other than a plain space (U+{ord(character):04X})"
        if unicodedata.category(character) in ("Cc", "Cf"):
            return f"an invisible character (U+{ord(character):04X})"
    if "  " in value:
        return "a run of spaces"
    return None


def require_tidy(value: object) -> object:
    """A pydantic before-validator: refuse an identifier that is not in its one spelling."""
    if isinstance(value, str):
        reason = untidy_reason(value)
        if reason is not None:
            raise PydanticCustomError(
                WHITESPACE_ERROR_TYPE,
                "identifiers are compared byte for byte and may not contain {reason}: {value!r}",
                {"reason": reason, "value": value[:80]},
            )
    return value


def _character_ranges(characters: Iterable[str]) -> str:
    """A regular-expression class body for `characters`: BMP code points as `\\uXXXX` escapes, which
    ECMA-262, Python and Rust read alike, and astral ones as themselves (ECMA-262 with its `u` flag)."""
    ranges: list[list[int]] = []
    for point in sorted(map(ord, characters)):
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1][1] = point
        else:
            ranges.append([point, point])

    def one(point: int) -> str:
        return f"\\u{point:04X}" if point <= 0xFFFF else chr(point)

    return "".join(one(low) if low == high else f"{one(low)}-{one(high)}" for low, high in ranges)


def untidy_characters() -> str:
    """What `untidy_reason` refuses, from this Python's Unicode tables: a walk over every code point."""
    return _character_ranges(
        c
        for c in map(chr, range(sys.maxunicode + 1))
        if (c.isspace() and c != " ") or unicodedata.category(c) in ("Cc", "Cf")
    )


# `untidy_characters()` for the Unicode versions it was computed on (tests/verification/test_identifiers.py
# computes it again): the walk costs ~0.35 s of every process's start-up, the command line's included.
_UNTIDY_BY_UNICODE_VERSION: Final = {
    "14.0.0": (
        "\\u0000-\\u001F\\u007F-\\u00A0\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891"
        "\\u08E2\\u1680\\u180E\\u2000-\\u200F\\u2028-\\u202F\\u205F-\\u2064\\u2066-\\u206F"
        "\\u3000\\uFEFF\\uFFF9-\\uFFFB\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
        "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    ),
}
# What `untidy_reason` refuses, as a JSON Schema pattern: words of allowed characters joined by single
# spaces. Taken from this Python's Unicode tables, the same ones `untidy_reason` reads.
UNTIDY_CHARACTERS: Final = _UNTIDY_BY_UNICODE_VERSION.get(unicodedata.unidata_version) or untidy_characters()
TIDY_PATTERN: Final = f"^(?:[^ {UNTIDY_CHARACTERS}]+(?: [^ {UNTIDY_CHARACTERS}]+)*)?$"


class _Tidy:
    """`require_tidy` as a validator, and `TIDY_PATTERN` in the JSON Schema of a type without a pattern of
    its own (a type with one writes tidiness into it: a generator cannot draw from two patterns at once)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(require_tidy, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.setdefault("pattern", TIDY_PATTERN)
        return json_schema


# Last in an `Annotated[...]`, so that it runs before the type's own checks (a clearer refusal).
Tidy: Final = _Tidy()


@lru_cache(maxsize=65_536)  # a pure function; catalogues name the same products check after check
def normalise_gtin(value: str) -> str:
    """A GTIN of any GS1 length as 14 digits (leading zeros), after checking its check digit."""
    digits = value.strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) not in GTIN_LENGTHS:
        raise ValueError("a GTIN has 8, 12, 13 or 14 digits")
    # The GS1 check digit of the digits before it (what `ean.is_valid` computes after cleaning the
    # input, which is known to be ASCII digits here).
    if ean.calc_check_digit(digits[:-1]) != digits[-1]:
        raise ValueError(f"GTIN {digits} has a wrong check digit")
    return digits.zfill(14)


def _country(code: str) -> str:
    if code not in _ALPHA_2:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def _gln(value: str) -> str:
    if len(value) != 13 or not value.isdigit() or not ean.is_valid(value):
        raise ValueError(f"GLN {value} is not 13 digits with a valid GS1 check digit")
    return value


def _check(module_validate: object, what: str) -> AfterValidator:
    def validate(value: str) -> str:
        try:
            return str(module_validate(value))  # type: ignore[operator]  # stdnum validate() is untyped
        except StdnumError as exc:
            raise ValueError(f"invalid {what}: {exc}") from exc

    return AfterValidator(validate)


# The schema lists the codes, since a pattern alone would admit "ZZ"; pycountry's list is pinned.
COUNTRY_CODES: Final = sorted(country.alpha_2 for country in pycountry.countries)
_ALPHA_2: Final = frozenset(COUNTRY_CODES)  # `pycountry.countries.get` searched its index on every call
CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    AfterValidator(_country),
    WithJsonSchema({"type": "string", "enum": COUNTRY_CODES}),
]
# Digits in a string, or (as ever read) a JSON integer of 8, 12, 13 or 14 digits; the check digit is code's.
GTIN_JSON_SCHEMA: Final = {
    "anyOf": [
        {"type": "string", "pattern": r"^(?:[0-9]{8}|[0-9]{12,14})$"},
        {"type": "integer", "minimum": 10_000_000, "maximum": 99_999_999},
        {"type": "integer", "minimum": 100_000_000_000, "maximum": 99_999_999_999_999},
    ]
}
Gtin = Annotated[str, BeforeValidator(str), AfterValidator(normalise_gtin), Tidy, WithJsonSchema(GTIN_JSON_SCHEMA)]
Gln = Annotated[str, StringConstraints(pattern=r"^\d{13}$"), AfterValidator(_gln)]
Lei = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{20}$"), _check(lei.validate, "LEI")]
UnifiedSocialCreditCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{18}$"), _check(uscc.validate, "USCC")]
Duns = Annotated[str, StringConstraints(pattern=r"^\d{9}$")]
OsId = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}\d{7}[0-9A-Z]{6}$")]


class IdentifierScheme(StrEnum):
    LEI = "LEI"
    GLN = "GLN"
    USCC = "USCC"  # China: unified social credit code
    VAT = "VAT"
    DUNS = "DUNS"
    OSID = "OSID"  # Open Supply Hub
    NATIONAL = "NATIONAL"  # any other national registration number, checked for length only


_ADAPTERS: dict[IdentifierScheme, TypeAdapter[str]] = {
    IdentifierScheme.LEI: TypeAdapter(Lei),
    IdentifierScheme.GLN: TypeAdapter(Gln),
    IdentifierScheme.USCC: TypeAdapter(UnifiedSocialCreditCode),
    IdentifierScheme.DUNS: TypeAdapter(Duns),
    IdentifierScheme.OSID: TypeAdapter(OsId),
}


@lru_cache(maxsize=65_536)  # a pure function; one holder's identifiers recur on each of its certificates
def validate_identifier(scheme: IdentifierScheme, value: str) -> str:
    """Check (and return, normalised) an identifier value for its scheme; raise ValueError if wrong."""
    if scheme is IdentifierScheme.VAT:
        try:
            return str(vatin.validate(value))
        except StdnumError as exc:
            raise ValueError(f"invalid VAT number: {exc}") from exc
    if scheme is IdentifierScheme.NATIONAL:
        if not 1 <= len(value) <= 64 or not value.isprintable():
            raise ValueError("a national registration number has 1 to 64 printable characters")
        return value
    try:
        return _ADAPTERS[scheme].validate_python(value)
    except ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"]) from exc
