"""GTINs (`verification.identifiers`): every GS1 length read as 14 digits, a wrong check digit refused."""

from __future__ import annotations

import pytest

from verification.identifiers import normalise_gtin


@pytest.mark.parametrize("gtin", ["96385074", "036000291452", "4006381333931", "10614141000415"])
def test_a_gtin_of_each_length_reads_as_fourteen_digits(gtin: str) -> None:
    assert normalise_gtin(gtin) == gtin.zfill(14)


@pytest.mark.parametrize("gtin", ["96385075", "036000291453", "4006381333932", "10614141000416"])
def test_a_wrong_check_digit_is_refused(gtin: str) -> None:
    with pytest.raises(ValueError, match="wrong check digit"):
        normalise_gtin(gtin)


def test_a_gtin_of_another_length_is_refused() -> None:
    with pytest.raises(ValueError, match="8, 12, 13 or 14 digits"):
        normalise_gtin("4006381333")
