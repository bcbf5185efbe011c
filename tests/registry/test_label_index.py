"""The accepted-label index gives the answer of the label-by-label definition."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ecolabel_registry.procurement.eligibility import Label, LabelIndex

_NAMES = st.sampled_from(["a", "b", "c"])
_LABELS = st.builds(Label, _NAMES, st.none() | _NAMES, st.none() | _NAMES)


def _covered_one_by_one(labels: list[Label], programme: str, category: str, version: str) -> bool:
    return any(
        label.programme == programme
        and label.category in (None, category)
        and label.criteria_version in (None, version)
        for label in labels
    )


@given(st.lists(_LABELS, max_size=5), _NAMES, _NAMES, _NAMES)
def test_the_index_agrees_with_the_definition(labels: list[Label], programme: str, category: str, version: str) -> None:
    expected = _covered_one_by_one(labels, programme, category, version)
    assert LabelIndex(tuple(labels)).covers(programme, category, version) is expected
