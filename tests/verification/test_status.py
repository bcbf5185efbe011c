"""verification.status: the shortcut for certificates without changes gives status_as_of's answers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from verification.leaf import from_microseconds
from verification.status import CertificateStatus, Lifecycle, status_as_of, status_of_unchanged

# Log times around the validity bounds, so that equality at each bound is drawn often.
_MOMENTS = st.integers(1_600_000_000_000_000, 1_600_000_000_000_040)


@given(_MOMENTS, _MOMENTS, _MOMENTS)
def test_the_unchanged_shortcut_agrees_with_status_as_of(valid_from: int, valid_until: int, at: int) -> None:
    lifecycle = Lifecycle(valid_from=from_microseconds(valid_from), valid_until=from_microseconds(valid_until))
    expected = status_as_of(lifecycle, at=from_microseconds(at)).status
    assert status_of_unchanged(valid_from, valid_until, at) is expected


def test_each_bound_belongs_to_the_later_state() -> None:
    assert status_of_unchanged(10, 20, 9) is CertificateStatus.NOT_YET_VALID
    assert status_of_unchanged(10, 20, 10) is CertificateStatus.ACTIVE
    assert status_of_unchanged(10, 20, 19) is CertificateStatus.ACTIVE
    assert status_of_unchanged(10, 20, 20) is CertificateStatus.EXPIRED
