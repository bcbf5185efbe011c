"""Invented licence holders and their products, derived from (country, index) alone.

The same (country, index) is the same company wherever it appears, so a German holder of EU Ecolabel
licences can also hold Blue Angel ones, as companies do. Names end in "(demo)" and come from the
word lists in world.json; identifiers come from `demo.identifiers`; GTINs continue the country's GS1
prefix with a 0, which keeps them apart from the hand-written supply-chain products (a 9).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ecolabel_registry.demo.identifiers import gs1, holder_identifiers
from ecolabel_registry.demo.spec import NameParts, World

# Scripts written without a space between a company's name and its legal form.
_UNSPACED = frozenset({"zh", "zh-Hant", "ja"})


@dataclass(frozen=True)
class Holder:
    name: str
    names: dict[str, str]
    country: str
    identifiers: tuple[tuple[str, str], ...]
    brand: str

    def payload(self) -> dict[str, Any]:
        holder: dict[str, Any] = {
            "name": self.name,
            "country": self.country,
            "identifiers": [{"scheme": s, "value": v} for s, v in self.identifiers],
        }
        if len(self.names) > 1:
            holder["names"] = dict(self.names)
        return holder


def _latin(part: str | tuple[str, str]) -> str:
    return part if isinstance(part, str) else part[0]


def _local(part: str | tuple[str, str]) -> str | None:
    return None if isinstance(part, str) else part[1]


def model_prefix(brand: str) -> str:
    """Three ASCII capitals from a brand, for model numbers ("Lüyuan" -> "LUY")."""
    ascii_only = unicodedata.normalize("NFKD", brand).encode("ascii", "ignore").decode()
    letters = [c for c in ascii_only.upper() if c.isalpha()]
    return "".join(letters[:3]) or "DMO"


def _names(parts: NameParts, index: int) -> tuple[str, dict[str, str], str]:
    stem = parts.stems[index % len(parts.stems)]
    form = parts.forms[(index // len(parts.stems)) % len(parts.forms)]
    cycle = index // (len(parts.stems) * len(parts.forms))
    number = f" {cycle + 1}" if cycle else ""  # more holders than name combinations: number them
    english = f"{_latin(stem)} {_latin(form)}{number} (demo)"
    names = {"en": english}
    local_stem, local_form = _local(stem), _local(form)
    if parts.language and local_stem and local_form:
        joiner = "" if parts.language in _UNSPACED else " "
        names[parts.language] = f"{local_stem}{joiner}{local_form}{number}{parts.demo_suffix or ' (demo)'}"
    return english, names, _latin(stem)


class HolderPool:
    """Holders by (country, index), made on first use; and the next GTIN of each country."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._holders: dict[tuple[str, int], Holder] = {}
        self._gtins: Counter[str] = Counter()

    def holder(self, country: str, index: int) -> Holder:
        key = (country, index)
        if key not in self._holders:
            parts = self._world.holder_names.get(country)
            if parts is None:
                raise ValueError(f"world.json has no holder_names for {country}")
            name, names, brand = _names(parts, index)
            with_lei = index % self._world.generation.lei_every == 0
            identifiers = tuple(holder_identifiers(country, index, with_lei=with_lei))
            self._holders[key] = Holder(name, names, country, identifiers, brand)
        return self._holders[key]

    def next_gtin(self, country: str) -> str:
        self._gtins[country] += 1
        prefix = self._world.gs1_prefixes[country]
        return gs1(f"{prefix}0{self._gtins[country]:08d}?")
