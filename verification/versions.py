"""Criteria versions and version ranges, compared by one documented rule.

Programmes number their criteria in their own ways: "1", "2.2", "5.0", but also "FFv2.0i-2006" (GECA)
or "2014/312/EU". An agreement's scope names a range of criteria versions, so the registry needs an
order, and it must never invent one where the programme has none. The rule:

* A version is **numeric** when it is dotted decimal (`1`, `2.2`, `10.0.1`). Numeric versions compare
  component by component as integers, and trailing zero components do not count:
  `2 == 2.0 < 2.1 < 2.2 < 2.10 < 10`.
* Any other version has **no order**: it equals only the identical string.
* A range `{min, max}` is inclusive at both ends and either end may be open. A range whose bounds are
  numeric contains the numeric versions between them; a non-numeric version can only be named exactly
  (`min == max == "FFv2.0i-2006"`). A range with no bounds contains every version, numeric or not.

    >>> VersionRange("2", "3").contains("2.5")
    True
    >>> VersionRange("2", "3").contains("FFv2.0i-2006")
    False
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMERIC = re.compile(r"\A\d{1,9}(\.\d{1,9}){0,15}\Z")


def numeric_key(version: str) -> tuple[int, ...] | None:
    """The sort key of a dotted-decimal version (trailing zeros dropped), or None when it has no order."""
    if not _NUMERIC.match(version):
        return None
    parts = [int(part) for part in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


@dataclass(frozen=True)
class VersionRange:
    """Inclusive criteria-version bounds, either open; see the module docstring for the order."""

    min: str | None = None
    max: str | None = None

    def __post_init__(self) -> None:
        low = numeric_key(self.min) if self.min is not None else None
        high = numeric_key(self.max) if self.max is not None else None
        textual = (self.min is not None and low is None) or (self.max is not None and high is None)
        if textual and self.min != self.max:
            raise ValueError("a version that is not dotted decimal has no order: give it as both min and max")
        if low is not None and high is not None and low > high:
            raise ValueError(f"criteria version range min {self.min} is above max {self.max}")

    @classmethod
    def exactly(cls, version: str) -> VersionRange:
        return cls(version, version)

    @property
    def is_open(self) -> bool:
        return self.min is None and self.max is None

    @property
    def _textual(self) -> str | None:
        """The one version a non-numeric range names, else None."""
        if self.min is not None and numeric_key(self.min) is None:
            return self.min
        return None

    def contains(self, version: str) -> bool:
        if self.is_open:
            return True
        if self._textual is not None:
            return version == self._textual
        key = numeric_key(version)
        if key is None:
            return False
        low, high = self._keys()
        return (low is None or low <= key) and (high is None or key <= high)

    def overlaps(self, other: VersionRange) -> bool:
        """True when some version lies in both ranges (how a recognised range meets the next hop's)."""
        if self.is_open or other.is_open:
            return True
        if self._textual is not None or other._textual is not None:
            return self._textual is not None and other.contains(self._textual)
        (low, high), (other_low, other_high) = self._keys(), other._keys()
        lows = [key for key in (low, other_low) if key is not None]
        highs = [key for key in (high, other_high) if key is not None]
        return not lows or not highs or max(lows) <= min(highs)

    def _keys(self) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
        """Numeric keys of the bounds (None where open); only called on numeric ranges."""
        return (
            numeric_key(self.min) if self.min is not None else None,
            numeric_key(self.max) if self.max is not None else None,
        )

    def __str__(self) -> str:
        if self.is_open:
            return "any version"
        if self.min == self.max:
            return f"version {self.min}"
        if self.max is None:
            return f"version {self.min} or later"
        if self.min is None:
            return f"version {self.max} or earlier"
        return f"versions {self.min} to {self.max}"
