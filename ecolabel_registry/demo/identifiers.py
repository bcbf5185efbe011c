"""Demo identifiers whose check characters python-stdnum computes, so none is ever invalid.

A template marks each check character with '?': `complete("91110108MA01JH0A1?", uscc.is_valid)` tries
the candidates in order and keeps the first value the scheme's own check accepts (for single-character
mod-N schemes there is exactly one). Generated holders get identifiers from `holder_identifiers`, which
spaces their serial numbers away from the hand-written ones in world.json.

    >>> complete("549300DEMOCNJH0001??", lei.is_valid)
    '549300DEMOCNJH000159'
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Callable

from stdnum import ean, lei, vatin
from stdnum.au import abn
from stdnum.ca import bn
from stdnum.cn import uscc
from stdnum.iso7064 import mod_97_10
from stdnum.jp import cn as jp_corporate_number
from stdnum.kr import brn
from stdnum.sg import uen
from stdnum.th import moa
from stdnum.tw import ubn

from ecolabel_registry.demo.spec import IdentifierSpec
from verification.identifiers import IdentifierScheme, validate_identifier

Check = Callable[[str], bool]


class IdentifierError(ValueError):
    """A template in the data file for which no check character makes a valid identifier."""


def _gs1_13(value: str) -> bool:
    return len(value) == 13 and value.isdigit() and bool(ean.is_valid(value))


def _duns(value: str) -> bool:
    return len(value) == 9 and value.isdigit()  # D-U-N-S numbers carry no check digit


SCHEMES: dict[str, Check] = {
    "LEI": lei.is_valid,
    "USCC": uscc.is_valid,
    "GLN": _gs1_13,
    "VAT": vatin.is_valid,
    "DUNS": _duns,
}
# Registered under the NATIONAL scheme, which the registry checks for length only; checked here anyway.
NATIONAL: dict[str, Check] = {
    "jp-corporate-number": jp_corporate_number.is_valid,
    "kr-business-registration": brn.is_valid,
    "sg-uen": uen.is_valid,
    "au-abn": abn.is_valid,
    "nz-nzbn": _gs1_13,  # the NZBN is a GS1 global location number
    "tw-ubn": ubn.is_valid,
    "th-company-registration": moa.is_valid,
    "ca-business-number": bn.is_valid,
}


def complete(template: str, check: Check) -> str:
    """Fill the template's '?' slots with the first characters that `check` accepts."""
    slots = template.count("?")
    if slots == 0:
        if not check(template):
            raise IdentifierError(f"{template} is not valid")
        return template
    # One slot may be a letter (USCC, UEN); several are digit pairs (LEI, ABN) or digit groups (FR VAT).
    alphabet = string.digits + string.ascii_uppercase if slots == 1 else string.digits
    for candidate in itertools.product(alphabet, repeat=slots):
        filled = iter(candidate)
        value = "".join(next(filled) if char == "?" else char for char in template)
        if check(value):
            return value
    raise IdentifierError(f"no check character makes {template} valid")


def gs1(template: str) -> str:
    """A GTIN-13 or GLN from a 12-digit template ending in '?' (GS1 mod 10, computed directly: it is hot)."""
    base = template.removesuffix("?")
    if len(base) != 12 or not base.isdigit():
        raise IdentifierError(f"{template} is not 12 digits followed by '?'")
    return base + str(ean.calc_check_digit(base))


def identifier(spec: IdentifierSpec) -> tuple[str, str]:
    """(scheme, value) of a hand-written identifier, in the normal form the registry requires."""
    if spec.scheme == "NATIONAL":
        if spec.kind not in NATIONAL:
            raise IdentifierError(f"unknown national identifier kind {spec.kind!r}")
        return "NATIONAL", complete(spec.value, NATIONAL[spec.kind])
    value = complete(spec.value, SCHEMES[spec.scheme])
    if validate_identifier(IdentifierScheme(spec.scheme), value) != value:
        raise IdentifierError(f"{spec.scheme} {value} is not in its normal form")
    return spec.scheme, value


def _first_valid(templates: Callable[[int], str], check: Check, index: int) -> str:
    # Mod-11 schemes have bases that no check digit completes; the next serial in this holder's own
    # block of ten is then used, so holders never share a number.
    for attempt in range(10):
        try:
            return complete(templates(index * 10 + attempt), check)
        except IdentifierError:
            continue
    raise IdentifierError(f"no valid identifier near serial {index * 10}")


_CN_REGIONS = ("110108", "310115", "440300", "330106", "320505", "370102", "420106", "510107")
_NATIONAL_TEMPLATES: dict[str, tuple[str, Callable[[int], str]]] = {
    "JP": ("jp-corporate-number", lambda n: f"?{701000100000 + n:012d}"),
    "KR": ("kr-business-registration", lambda n: f"{220810000 + n:09d}?"),
    "SG": ("sg-uen", lambda n: f"{2016 + n % 8}{10000 + n:05d}?"),
    "AU": ("au-abn", lambda n: f"??{510000000 + n:09d}"),
    "NZ": ("nz-nzbn", lambda n: f"9429{30000000 + n:08d}?"),
    "TW": ("tw-ubn", lambda n: f"{2100000 + n:07d}?"),
    "TH": ("th-company-registration", lambda n: f"0105{56000000 + n:08d}?"),
    "CA": ("ca-business-number", lambda n: f"{81000000 + n:08d}?"),
}
_VAT_TEMPLATES: dict[str, Callable[[int], str]] = {
    "IT": lambda n: f"IT{2100000 + n:07d}001?",
    "DE": lambda n: f"DE{31000000 + n:08d}?",
    "FR": lambda n: f"FR??{41000000 + n:08d}?",
    "ES": lambda n: f"ESB{5100000 + n:07d}?",
    "DK": lambda n: f"DK{3100000 + n:07d}?",
    "AT": lambda n: f"ATU{6100000 + n:07d}?",
    "NL": lambda n: f"NL{71000000 + n:08d}?B01",
    "SE": lambda n: f"SE55{8100000 + n:07d}?01",
    "FI": lambda n: f"FI{2900000 + n:07d}?",
    "NO": lambda n: f"NO{91000000 + n:08d}?MVA",
}


def holder_identifiers(country: str, index: int, *, with_lei: bool) -> list[tuple[str, str]]:
    """The identifiers of generated holder `index` of `country`: the national scheme, and an LEI if asked."""
    found: list[tuple[str, str]] = []
    if country == "CN":
        region = _CN_REGIONS[index % len(_CN_REGIONS)]
        base = f"91{region}MA{index:07d}"
        found.append(("USCC", base + uscc.calc_check_digit(base)))
    elif country in _VAT_TEMPLATES:
        found.append(("VAT", _first_valid(_VAT_TEMPLATES[country], vatin.is_valid, index)))
    elif country == "US":
        found.append(("DUNS", f"{810000000 + index:09d}"))
    elif country in _NATIONAL_TEMPLATES:
        kind, template = _NATIONAL_TEMPLATES[country]
        found.append(("NATIONAL", _first_valid(template, NATIONAL[kind], index)))
    else:
        raise IdentifierError(f"no identifier scheme for generated holders in {country}")
    if with_lei:
        base = f"549300DEMO{country}{index:06d}"
        found.append(("LEI", base + mod_97_10.calc_check_digits(base)))
    return found
