"""Identifier types with their check digits, as pydantic annotated types (python-stdnum does the maths).

GTIN (GS1 mod-10, GTIN-8/12/13/14, normalised to 14 digits), GLN (GS1, 13 digits), LEI (ISO 17442,
ISO 7064 mod 97-10), China's unified social credit code (GB 32100, 18 characters), EU VAT numbers,
DUNS (9 digits), Open Supply Hub OS ID (format only: its check digit algorithm is not published) and
ISO 3166-1 alpha-2 country codes.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BeforeValidator, StringConstraints, TypeAdapter, ValidationError
from stdnum import ean, lei, vatin
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

GTIN_LENGTHS = frozenset({8, 12, 13, 14})


@lru_cache(maxsize=65_536)  # a pure function; catalogues name the same products check after check
def normalise_gtin(value: str) -> str:
    """A GTIN of any GS1 length as 14 digits (leading zeros), after checking its check digit."""
    digits = value.strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) not in GTIN_LENGTHS:
        raise ValueError("a GTIN has 8, 12, 13 or 14 digits")
    if not ean.is_valid(digits):
        raise ValueError(f"GTIN {digits} has a wrong check digit")
    return digits.zfill(14)


def _country(code: str) -> str:
    if pycountry.countries.get(alpha_2=code) is None:
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


CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_country)]
Gtin = Annotated[str, BeforeValidator(str), AfterValidator(normalise_gtin)]
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
