"""One spelling per identifier: whitespace and invisible characters are refused, never normalised."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from verification import identifiers
from verification.identifiers import untidy_reason
from verification.payloads.agreement import CategoryScope, CriteriaVersions

_ALPHABET = st.sampled_from(["A", "1", "/", "-", " ", "  ", "\t", "\u00a0", "\u3000", "\u200b", "\ufeff", "\n", "é"])


def _one_spelling(value: str) -> bool:
    return (
        " ".join(value.split()) == value
        and all(not ch.isspace() or ch == " " for ch in value)
        and all(unicodedata.category(ch) not in ("Cc", "Cf") for ch in value)
    )


@example("IT/044/005")
@example("IT/044/005 ")
@example("HJ 2536")
@example("HJ  2536")
@example("\u200b044")
@settings(deadline=None)
@given(st.lists(_ALPHABET, max_size=10).map("".join))
def test_an_identifier_is_accepted_exactly_when_it_has_one_spelling(value: str) -> None:
    assert (untidy_reason(value) is None) == _one_spelling(value)


@pytest.mark.parametrize(
    "document",
    [
        lambda: CategoryScope.model_validate({"programme": "eu-ecolabel", "category": "044 "}),
        lambda: CriteriaVersions.model_validate({"min": "1 "}),
        lambda: CriteriaVersions.model_validate({"max": "4\t"}),
    ],
    ids=["agreement-category", "agreement-min-version", "agreement-max-version"],
)
def test_agreement_scopes_are_held_to_the_rule(document: object) -> None:
    with pytest.raises(ValidationError) as raised:
        document()  # type: ignore[operator]
    assert raised.value.errors()[0]["type"] == "identifier_whitespace"


def test_the_untidy_characters_kept_for_this_unicode_version_are_the_ones_its_tables_give() -> None:
    # The class is kept per Unicode version, so that a process does not walk every code point at start-up.
    assert identifiers.untidy_characters() == identifiers.UNTIDY_CHARACTERS
    assert unicodedata.unidata_version in identifiers._UNTIDY_BY_UNICODE_VERSION  # this Python's is kept
