"""Which labels a tender accepts, and whether a certificate's own label is one of them: pure rules.

A tender names accepted labels (a programme, optionally narrowed to a category and a criteria version)
or a procurement code that the category crosswalk turns into labels. A certificate is accepted
**directly** when a label covers its (programme, category, criteria version); otherwise, "or
equivalent", through agreements (`verification.recognition.resolve`), whose targets are the accepted
(programme, category) pairs: a label without a category stands for every category its programme has
defined. The registry's eligibility check and an auditor replaying the log use these same functions.

    index = LabelIndex((Label("sgls", "flooring"),))
    index.covers("sgls", "flooring", "1")                        # True
    accepted_pairs(index.labels, {"jea": ["flooring", "computers"]})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Label:
    programme: str
    category: str | None = None
    criteria_version: str | None = None


class LabelIndex:
    """Whether any accepted label covers a certificate's (programme, category, criteria version): a label
    covers it when its programme matches and its category and version are each unset or equal. Four
    set lookups instead of a loop over the labels, for the thousands of certificates a check judges."""

    def __init__(self, labels: tuple[Label, ...]) -> None:
        self.labels = labels
        self.keys = {(label.programme, label.category, label.criteria_version) for label in labels}

    def covers(self, programme: str, category: str, version: str) -> bool:
        keys = self.keys
        return (
            (programme, category, version) in keys
            or (programme, category, None) in keys
            or (programme, None, version) in keys
            or (programme, None, None) in keys
        )


def labels_of(accepted: Iterable[Label], crosswalked: Iterable[tuple[str, str, str]]) -> tuple[Label, ...]:
    """The tender's labels: those it names, then (programme, category, version) found by its procurement
    code in the category crosswalk, without repeats and in that order."""
    labels = [*accepted, *(Label(*key) for key in crosswalked)]
    return tuple(dict.fromkeys(labels))


def accepted_pairs(labels: Iterable[Label], defined: Mapping[str, Iterable[str]]) -> frozenset[tuple[str, str]]:
    """The (programme, category) targets of recognition; `defined` gives the categories of each programme
    named by a label without a category (a label's criteria version does not narrow an agreement's target)."""
    found = set()
    for label in labels:
        if label.category is not None:
            found.add((label.programme, label.category))
        else:
            found.update((label.programme, category) for category in defined.get(label.programme, ()))
    return frozenset(found)
