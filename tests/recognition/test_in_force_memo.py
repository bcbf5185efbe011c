"""An `AgreementSet` keeps the in-force edges per stretch of time: its answers are the plain list's.

`verification.recognition_paths.AgreementSet` computes which mappings are in force once per stretch between
two of the agreements' change instants (`verification.agreements.change_instants`) and keeps it. Over
random worlds with every kind of event (suspension, reinstatement, renewal, termination), asked in a
random order at random moments and exactly at, just before and just after every change instant, the
prepared set answers exactly as the list does; as known at an earlier time it is the list again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.recognition.records import event
from tests.recognition.test_resolution_properties import MICROSECOND, Question, moments, questions
from verification.agreements import AgreementRecord, change_instants
from verification.recognition import resolve
from verification.recognition_paths import AgreementSet

CHANGES = ("suspended", "reinstated", "renewed", "terminated")


@st.composite
def with_events(draw: st.DrawFn, record: AgreementRecord) -> AgreementRecord:
    """`record` with a chain of up to four events of any kind, effective times never decreasing."""
    parties = list(record.agreement.parties)
    at = record.agreement.effective_from + draw(st.timedeltas(timedelta(0), timedelta(days=2000)))
    events = []
    for _ in range(draw(st.integers(0, 4))):
        change = draw(st.sampled_from(CHANGES))
        until = at + draw(st.timedeltas(timedelta(days=1), timedelta(days=2000))) if change == "renewed" else None
        events.append(event(change, at, until, by=draw(st.sampled_from(parties))))
        at += draw(st.timedeltas(timedelta(0), timedelta(days=900)))
    return AgreementRecord(record.id, record.agreement, record.logged_us, record.signatures, tuple(events))


@settings(max_examples=150, deadline=None)
@given(questions(), st.data(), st.lists(moments, max_size=6), st.randoms(use_true_random=False))
def test_a_prepared_set_answers_as_the_list_at_every_moment(
    question: Question, data: st.DataObject, asked: list[datetime], rng: Any
) -> None:
    world, subject, accepted = question
    world = [data.draw(with_events(record)) for record in world]
    instants = {instant for record in world for instant in change_instants(record)}
    moments_asked = [*asked, *(i + d for i in instants for d in (-MICROSECOND, timedelta(0), MICROSECOND))]
    rng.shuffle(moments_asked)
    prepared = AgreementSet(world)
    for at in moments_asked:  # the same set throughout: later answers come from the edges kept
        assert resolve(subject, accepted, prepared, at=at) == resolve(subject, accepted, world, at=at), at


@settings(max_examples=50, deadline=None)
@given(questions(), moments)
def test_as_known_at_a_time_the_prepared_set_is_the_list(question: Question, at: datetime) -> None:
    world, subject, accepted = question
    world = [AgreementRecord(r.id, r.agreement, 10, dict.fromkeys(r.signatures, 20), r.events) for r in world]
    for known_at_us in (5, 15, 25):
        prepared = resolve(subject, accepted, AgreementSet(world), at=at, known_at_us=known_at_us)
        assert prepared == resolve(subject, accepted, world, at=at, known_at_us=known_at_us)
