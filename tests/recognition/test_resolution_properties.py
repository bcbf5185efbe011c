"""Properties of resolution over random worlds of agreements (hypothesis).

* adding an agreement never removes an acceptance, and removing one never adds one;
* the answer does not depend on the order the agreements are given in;
* an agreement outside its effective period never counts;
* a termination takes effect exactly at its effectiveAt.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.recognition.records import event, record
from verification.agreements import AgreementRecord, standing_on
from verification.recognition import Presented, resolve

pytestmark = pytest.mark.slow

PROGRAMMES = ("cec", "jea", "keiti", "sgls")
CATEGORIES = ("pc", "ink")
VERSIONS = ("1", "2", "3")
EARLIEST = datetime(2019, 1, 1, tzinfo=UTC)
LATEST = datetime(2031, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

moments = st.datetimes(
    min_value=EARLIEST.replace(tzinfo=None), max_value=LATEST.replace(tzinfo=None), timezones=st.just(UTC)
)
# Agreements start early in the window, so that most questions fall inside some agreement's period.
starts = st.datetimes(
    min_value=EARLIEST.replace(tzinfo=None),
    max_value=datetime(2024, 1, 1, tzinfo=UTC).replace(tzinfo=None),
    timezones=st.just(UTC),
)


@st.composite
def version_ranges(draw: st.DrawFn) -> dict[str, str]:
    low, high = sorted(draw(st.lists(st.sampled_from(VERSIONS), min_size=2, max_size=2)), key=int)
    return draw(st.sampled_from([{}, {"min": low}, {"max": high}, {"min": low, "max": high}]))


@st.composite
def agreements(draw: st.DrawFn, key: str) -> AgreementRecord:
    parties = sorted(draw(st.lists(st.sampled_from(PROGRAMMES), min_size=2, max_size=3, unique=True)))
    mutual = draw(st.booleans())
    pairs = [(a, b) for a in parties for b in parties if a != b]
    recognised = pairs if mutual else draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=2, unique=True))
    mappings = [
        {
            "from": {
                "programme": source,
                "category": draw(st.sampled_from(CATEGORIES)),
                "criteriaVersions": draw(version_ranges()),
            },
            "to": {
                "programme": target,
                "category": draw(st.sampled_from(CATEGORIES)),
                "criteriaVersions": draw(version_ranges()),
            },
        }
        for target, source in draw(st.lists(st.sampled_from(recognised), min_size=1, max_size=5))
    ]
    kind = draw(st.sampled_from(["full", "common_core", "proxy_assessment"]))
    start = draw(starts)
    fields: dict[str, Any] = {
        "parties": parties,
        "agreementType": kind,
        "effectiveFrom": start,
        "onwardRecognition": draw(st.booleans()),
    }
    if not mutual:
        fields["recognitions"] = [{"recognizer": a, "recognized": b} for a, b in recognised]
    if kind == "common_core":
        fields["supplementaryCriteria"] = [{"programme": mappings[0]["to"]["programme"], "criterion": "extra"}]
    if draw(st.booleans()):
        fields["effectiveUntil"] = start + draw(
            st.timedeltas(min_value=timedelta(days=1), max_value=timedelta(days=3000))
        )
    signed = parties if draw(st.integers(0, 4)) else parties[:1]
    changes = []
    if draw(st.integers(0, 3)) == 0:
        ends = start + draw(st.timedeltas(timedelta(0), timedelta(days=3000)))
        changes.append(event("terminated", ends, by=draw(st.sampled_from(parties))))
    return record(key, mappings, signed=signed, events=changes, **fields)


@st.composite
def worlds(draw: st.DrawFn) -> list[AgreementRecord]:
    count = draw(st.integers(0, 8))
    return [draw(agreements(f"{index:02d}")) for index in range(count)]


pairs = st.tuples(st.sampled_from(PROGRAMMES), st.sampled_from(CATEGORIES))
Question = tuple[list[AgreementRecord], Presented, list[tuple[str, str]]]


@st.composite
def questions(draw: st.DrawFn) -> Question:
    """A world of agreements, and a question about it: subject and target mostly taken from its mappings."""
    world = draw(worlds())
    mappings = [m for r in world for m in r.agreement.scope]
    sources = [(m.from_.programme, m.from_.category) for m in mappings]
    sinks = [(m.to.programme, m.to.category) for m in mappings]
    programme, category = draw(st.sampled_from(sources) | pairs if sources else pairs)
    subject = Presented(programme, category, draw(st.sampled_from(VERSIONS)))
    accepted = draw(st.lists(st.sampled_from(sinks) | pairs if sinks else pairs, min_size=1, max_size=2))
    return world, subject, accepted


@settings(max_examples=200, deadline=None)
@given(questions(), agreements("99"), moments)
def test_adding_an_agreement_never_removes_an_acceptance(
    question: Question, extra: AgreementRecord, at: datetime
) -> None:
    world, subject, accepted = question
    before = resolve(subject, accepted, world, at=at)
    after = resolve(subject, accepted, [*world, extra], at=at)
    assert after.accepted or not before.accepted


@settings(max_examples=200, deadline=None)
@given(questions(), st.data(), moments)
def test_removing_an_agreement_never_adds_an_acceptance(question: Question, data: st.DataObject, at: datetime) -> None:
    world, subject, accepted = question
    if not world:
        return
    gone = data.draw(st.integers(0, len(world) - 1))
    fewer = world[:gone] + world[gone + 1 :]
    assert resolve(subject, accepted, world, at=at).accepted or not resolve(subject, accepted, fewer, at=at).accepted


@settings(max_examples=200, deadline=None)
@given(questions(), st.randoms(use_true_random=False), moments)
def test_the_answer_does_not_depend_on_the_order_of_agreements(question: Question, rng: Any, at: datetime) -> None:
    world, subject, accepted = question
    shuffled = list(world)
    rng.shuffle(shuffled)
    assert resolve(subject, accepted, shuffled, at=at) == resolve(subject, accepted, world, at=at)


@settings(max_examples=200, deadline=None)
@given(questions(), moments)
def test_only_agreements_in_force_on_the_date_are_on_a_path(question: Question, at: datetime) -> None:
    world, subject, accepted = question
    resolution = resolve(subject, accepted, world, at=at)
    by_id = {r.id: r for r in world}
    for hop in resolution.path:
        agreement = by_id[hop.agreement_id]
        answer = standing_on(agreement, at=at)
        assert answer.in_force
        assert standing_on(agreement, at=at, recognizer=hop.mapping.to.programme).in_force
        assert agreement.agreement.effective_from <= at
        assert answer.effective_until is None or at < answer.effective_until


@settings(max_examples=200, deadline=None)
@given(questions(), moments)
def test_an_agreement_outside_its_effective_period_never_counts(question: Question, at: datetime) -> None:
    world, subject, accepted = question
    outside = [
        r
        for r in world
        if at < r.agreement.effective_from or (r.agreement.effective_until and at >= r.agreement.effective_until)
    ]
    inside = [r for r in world if r not in outside]
    assert resolve(subject, accepted, world, at=at).accepted == resolve(subject, accepted, inside, at=at).accepted
    assert not {hop.agreement_id for hop in resolve(subject, accepted, world, at=at).path} & {r.id for r in outside}


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["full", "common_core", "proxy_assessment"]),
    st.timedeltas(min_value=MICROSECOND, max_value=timedelta(days=4000)),
)
def test_a_termination_takes_effect_exactly_at_its_effective_at(kind: str, after_start: timedelta) -> None:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    ends = start + after_start
    extras = [{"programme": "jea", "criterion": "extra"}] if kind == "common_core" else []
    mapping = {"from": {"programme": "cec", "category": "pc"}, "to": {"programme": "jea", "category": "pc"}}
    agreement = record(
        "01",
        [mapping],
        agreementType=kind,
        supplementaryCriteria=extras,
        effectiveFrom=start,
        events=[event("terminated", ends, by="jea")],
    )
    subject = Presented("cec", "pc", "1")
    assert resolve(subject, [("jea", "pc")], [agreement], at=ends - MICROSECOND).accepted
    assert not resolve(subject, [("jea", "pc")], [agreement], at=ends).accepted
