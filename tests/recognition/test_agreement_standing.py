"""When an agreement is in force: every party signed, within its (renewed) period, not suspended or terminated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.recognition.records import START, event, mapping, record
from verification.agreements import AgreementRecord, Standing, standing_on

MICROSECOND = timedelta(microseconds=1)
END = datetime(2025, 1, 1, tzinfo=UTC)
SCOPE = [mapping("cec", "HJ 2536", "jea", "No.119"), mapping("jea", "No.119", "cec", "HJ 2536")]


def _standing(at: datetime, **fields: Any) -> Standing:
    return standing_on(record("a1", SCOPE, **fields), at=at).standing


def test_in_force_only_when_every_party_signed() -> None:
    assert _standing(END - MICROSECOND, signed=["cec"]) is Standing.AWAITING_SIGNATURES
    answer = standing_on(record("a1", SCOPE, signed=["cec"]), at=END)
    assert answer.missing_signatures == ("jea",)
    assert _standing(END, signed=["cec", "jea"]) is Standing.IN_FORCE


def test_in_force_from_effective_from_until_just_before_effective_until() -> None:
    assert _standing(START - MICROSECOND, effectiveUntil=END) is Standing.NOT_YET_EFFECTIVE
    assert _standing(START, effectiveUntil=END) is Standing.IN_FORCE
    assert _standing(END - MICROSECOND, effectiveUntil=END) is Standing.IN_FORCE
    assert _standing(END, effectiveUntil=END) is Standing.EXPIRED


def test_a_renewal_extends_the_period_from_its_effective_date() -> None:
    renewed = [event("renewed", END - timedelta(days=30), END + timedelta(days=365))]
    assert _standing(END - timedelta(days=31), effectiveUntil=END, events=renewed) is Standing.IN_FORCE
    assert _standing(END + timedelta(days=10), effectiveUntil=END, events=renewed) is Standing.IN_FORCE
    assert _standing(END + timedelta(days=365), effectiveUntil=END, events=renewed) is Standing.EXPIRED


def test_a_late_renewal_revives_a_lapsed_agreement_only_from_its_effective_date() -> None:
    late = [event("renewed", END + timedelta(days=90), END + timedelta(days=900))]
    assert _standing(END + timedelta(days=30), effectiveUntil=END, events=late) is Standing.EXPIRED
    assert _standing(END + timedelta(days=90), effectiveUntil=END, events=late) is Standing.IN_FORCE


def test_a_suspension_holds_until_a_reinstatement() -> None:
    changes = [
        event("suspended", START + timedelta(days=10), by="cec"),
        event("suspended", START + timedelta(days=12), by="jea"),
        event("reinstated", START + timedelta(days=20), by="cec"),
    ]
    assert _standing(START + timedelta(days=10) - MICROSECOND, events=changes) is Standing.IN_FORCE
    assert _standing(START + timedelta(days=12), events=changes) is Standing.SUSPENDED
    assert _standing(START + timedelta(days=20), events=changes) is Standing.IN_FORCE


def test_a_party_suspends_and_terminates_only_its_own_recognition() -> None:
    changes = [event("suspended", START + timedelta(days=10), by="jea")]
    suspended = record("a1", SCOPE, events=changes)
    at = START + timedelta(days=11)
    assert standing_on(suspended, at=at, recognizer="jea").standing is Standing.SUSPENDED
    assert standing_on(suspended, at=at, recognizer="cec").standing is Standing.IN_FORCE
    whole = standing_on(suspended, at=at)
    assert (whole.standing, whole.suspended_by) == (Standing.IN_FORCE, ("jea",))
    ended = record("a1", SCOPE, events=[event("terminated", START + timedelta(days=10), by="cec")])
    assert standing_on(ended, at=at, recognizer="cec").standing is Standing.TERMINATED
    assert standing_on(ended, at=at, recognizer="jea").standing is Standing.IN_FORCE


def test_a_termination_takes_effect_exactly_at_its_effective_time_and_is_final() -> None:
    at = START + timedelta(days=100, microseconds=7)
    changes = [event("terminated", at, by="cec"), event("terminated", at, by="jea")]
    assert _standing(at - MICROSECOND, events=changes) is Standing.IN_FORCE
    assert _standing(at, events=changes) is Standing.TERMINATED
    assert _standing(at + timedelta(days=9999), events=changes) is Standing.TERMINATED


def test_as_known_at_counts_only_what_was_logged_by_then() -> None:
    logged = record("a1", SCOPE, logged_us=100, events=[event("suspended", START, logged_us=300, by="cec")])
    proposed = record("a1", SCOPE, logged_us=100)
    signed_later = AgreementRecord(proposed.id, proposed.agreement, 100, {"cec": 100, "jea": 200})
    assert standing_on(logged, at=END, known_at_us=50).standing is Standing.NOT_YET_LOGGED
    assert standing_on(signed_later, at=END, known_at_us=150).standing is Standing.AWAITING_SIGNATURES
    assert standing_on(signed_later, at=END, known_at_us=200).standing is Standing.IN_FORCE
    assert standing_on(logged, at=END, known_at_us=299, recognizer="cec").standing is Standing.IN_FORCE
    assert standing_on(logged, at=END, known_at_us=300, recognizer="cec").standing is Standing.SUSPENDED
    assert standing_on(logged, at=END, recognizer="cec").standing is Standing.SUSPENDED
