"""Resolution on plain values: accepted directly, through agreements (with path and conditions), or why not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.recognition.records import event, mapping, record
from verification.agreements import AgreementRecord
from verification.recognition import ConditionKind, Decision, Presented, Resolution, resolve
from verification.status import CertificateStatus

D = datetime(2025, 6, 1, tzinfo=UTC)
CEC_PC = Presented("cec", "HJ 2536", "2", status=CertificateStatus.ACTIVE)
JEA_PC = {("jea", "No.119")}


def _codes(resolution: Resolution) -> list[str]:
    return [reason.code.value for reason in resolution.reasons]


def test_the_accepted_programme_and_category_is_accepted_directly() -> None:
    resolution = resolve(CEC_PC, {("cec", "HJ 2536"), ("jea", "No.119")}, [], at=D)
    assert resolution.decision is Decision.ACCEPTED
    assert resolution.path == ()


def test_a_full_agreement_in_force_gives_the_path() -> None:
    agreement = record("a1", [mapping("cec", "HJ 2536", "jea", "No.119")], title="CEC-JEA")
    resolution = resolve(CEC_PC, JEA_PC, [agreement], at=D)
    assert resolution.decision is Decision.ACCEPTED_THROUGH_AGREEMENT
    assert [(hop.agreement_id, hop.mapping_index) for hop in resolution.path] == [("a1", 0)]
    assert resolution.conditions == ()


def test_common_core_lists_the_recognisers_supplementary_criteria_for_that_category() -> None:
    agreement = record(
        "a1",
        [mapping("cec", "HJ 2536", "jea", "No.119"), mapping("cec", "HJ 2512", "jea", "No.122")],
        agreementType="common_core",
        supplementaryCriteria=[
            {"programme": "jea", "category": "No.119", "criterion": "JEA: energy use in sleep mode"},
            {"programme": "jea", "criterion": "JEA: take-back scheme in Japan"},
            {"programme": "jea", "category": "No.122", "criterion": "JEA: toner cartridge recycling"},
        ],
    )
    resolution = resolve(CEC_PC, JEA_PC, [agreement], at=D)
    (condition,) = resolution.conditions
    assert condition.kind is ConditionKind.SUPPLEMENTARY_CRITERIA
    assert (condition.programme, condition.category) == ("jea", "No.119")
    assert condition.criteria == ("JEA: energy use in sleep mode", "JEA: take-back scheme in Japan")


def test_proxy_assessment_is_accepted_with_a_note() -> None:
    agreement = record(
        "a1",
        [mapping("keiti", "EL-PAINT", "green-seal", "GS-11")],
        recognitions=[{"recognizer": "green-seal", "recognized": "keiti"}],
        agreementType="proxy_assessment",
    )
    resolution = resolve(Presented("keiti", "EL-PAINT", "1"), {("green-seal", "GS-11")}, [agreement], at=D)
    (condition,) = resolution.conditions
    assert condition.kind is ConditionKind.PROXY_ASSESSMENT
    assert "green-seal's own licence" in condition.note


def test_recognition_in_one_direction_does_not_work_backwards() -> None:
    agreement = record(
        "a1",
        [mapping("jea", "No.123", "sgls", "FLOOR")],
        recognitions=[{"recognizer": "sgls", "recognized": "jea"}],
    )
    assert resolve(Presented("jea", "No.123", "1"), {("sgls", "FLOOR")}, [agreement], at=D).accepted
    backwards = resolve(Presented("sgls", "FLOOR", "1"), {("jea", "No.123")}, [agreement], at=D)
    assert _codes(backwards) == ["NO_AGREEMENT"]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (CertificateStatus.SUSPENDED, "CERTIFICATE_SUSPENDED"),
        (CertificateStatus.EXPIRED, "CERTIFICATE_EXPIRED"),
        (CertificateStatus.WITHDRAWN, "CERTIFICATE_WITHDRAWN"),
        (CertificateStatus.NOT_YET_VALID, "CERTIFICATE_NOT_YET_VALID"),
    ],
)
def test_a_certificate_that_is_not_active_is_not_accepted_even_directly(status: CertificateStatus, code: str) -> None:
    presented = Presented("jea", "No.119", "2", status=status)
    resolution = resolve(presented, JEA_PC, [], at=D)
    assert resolution.decision is Decision.NOT_ACCEPTED
    assert _codes(resolution) == [code]


def test_a_certificate_signed_with_a_revoked_key_is_not_accepted() -> None:
    presented = Presented("jea", "No.119", "2", status=CertificateStatus.SUSPENDED, signing_key_valid=False)
    assert _codes(resolve(presented, JEA_PC, [], at=D)) == ["CERTIFICATE_SUSPENDED", "SIGNING_KEY_REVOKED"]


def test_no_agreement() -> None:
    assert _codes(resolve(CEC_PC, JEA_PC, [], at=D)) == ["NO_AGREEMENT"]


def test_an_agreement_not_in_force_says_why() -> None:
    unsigned = record("a1", [mapping("cec", "HJ 2536", "jea", "No.119")], signed=["cec"], title="CEC-JEA")
    resolution = resolve(CEC_PC, JEA_PC, [unsigned], at=D)
    assert _codes(resolution) == ["AGREEMENT_NOT_IN_FORCE"]
    assert resolution.reasons[0].agreement_id == "a1"
    assert "awaiting signatures" in resolution.reasons[0].detail
    assert "jea" in resolution.reasons[0].detail
    suspended = record("a2", [mapping("cec", "HJ 2536", "jea", "No.119")], events=[event("suspended", D, by="jea")])
    assert "suspended" in resolve(CEC_PC, JEA_PC, [suspended], at=D).reasons[0].detail


def test_a_category_outside_the_scope() -> None:
    agreement = record("a1", [mapping("cec", "HJ 2512", "jea", "No.119")])
    resolution = resolve(CEC_PC, JEA_PC, [agreement], at=D)
    assert _codes(resolution) == ["CATEGORY_OUT_OF_SCOPE"]
    assert "HJ 2512" in resolution.reasons[0].detail
    other_target = record("a1", [mapping("cec", "HJ 2536", "jea", "No.120")])
    assert _codes(resolve(CEC_PC, JEA_PC, [other_target], at=D)) == ["CATEGORY_OUT_OF_SCOPE"]
    same_programme = resolve(CEC_PC, {("cec", "HJ 2512")}, [], at=D)
    assert _codes(same_programme) == ["CATEGORY_OUT_OF_SCOPE"]


def test_a_criteria_version_outside_the_range() -> None:
    agreement = record("a1", [mapping("cec", "HJ 2536", "jea", "No.119", {"min": "3", "max": "4.1"})])
    assert _codes(resolve(CEC_PC, JEA_PC, [agreement], at=D)) == ["CRITERIA_VERSION_OUT_OF_RANGE"]
    for version in ("3", "3.0", "4.1"):
        presented = Presented("cec", "HJ 2536", version, status=CertificateStatus.ACTIVE)
        assert resolve(presented, JEA_PC, [agreement], at=D).accepted, version
    textual = Presented("cec", "HJ 2536", "HJ 2536-2012", status=CertificateStatus.ACTIVE)
    assert _codes(resolve(textual, JEA_PC, [agreement], at=D)) == ["CRITERIA_VERSION_OUT_OF_RANGE"]


def test_a_bare_programme_or_category_without_version_is_judged_on_the_scope() -> None:
    agreement = record("a1", [mapping("cec", "HJ 2536", "jea", "No.119", {"min": "3"})])
    assert resolve(Presented("cec", "HJ 2536"), JEA_PC, [agreement], at=D).accepted
    assert resolve(Presented("cec", None), JEA_PC, [agreement], at=D).accepted
    assert not resolve(Presented("cec", "HJ 2512"), JEA_PC, [agreement], at=D).accepted


CHAIN = [
    ("a1", mapping("cec", "X", "jea", "X")),
    ("a2", mapping("jea", "X", "sgls", "X")),
    ("a3", mapping("sgls", "X", "gs", "X")),
    ("a4", mapping("gs", "X", "nz", "X")),
]


def _chain(*onward: bool) -> list[AgreementRecord]:
    return [
        record(key, [scope], onwardRecognition=allowed) for (key, scope), allowed in zip(CHAIN, onward, strict=False)
    ]


def test_recognition_is_not_transitive_by_default() -> None:
    resolution = resolve(Presented("cec", "X", "1"), {("sgls", "X")}, _chain(False, False), at=D)
    assert resolution.decision is Decision.NOT_ACCEPTED
    assert _codes(resolution) == ["NO_AGREEMENT"]
    assert "onward recognition" in resolution.reasons[0].detail


def test_recognition_passes_on_only_when_every_hop_allows_it() -> None:
    start, target = Presented("cec", "X", "1"), {("sgls", "X")}
    assert not resolve(start, target, _chain(True, False), at=D).accepted
    assert not resolve(start, target, _chain(False, True), at=D).accepted
    both = resolve(start, target, _chain(True, True), at=D)
    assert [hop.agreement_id for hop in both.path] == ["a1", "a2"]


def test_the_path_is_at_most_max_depth_hops() -> None:
    chain = _chain(True, True, True, True)
    start, target = Presented("cec", "X", "1"), {("nz", "X")}
    assert not resolve(start, target, chain, at=D).accepted
    assert len(resolve(start, target, chain, at=D, max_depth=4).path) == 4
    with pytest.raises(ValueError, match="max_depth"):
        resolve(start, target, chain, at=D, max_depth=0)


def test_cycles_end_and_the_shortest_path_wins() -> None:
    agreements = [
        record("c1", [mapping("pa", "X", "pb", "X"), mapping("pb", "X", "pa", "X")], onwardRecognition=True),
        record("c2", [mapping("pb", "X", "pc", "X"), mapping("pc", "X", "pa", "X")], onwardRecognition=True),
        record("c3", [mapping("pa", "X", "pc", "X")], onwardRecognition=True),
    ]
    resolution = resolve(Presented("pa", "X", "1"), {("pd", "X")}, agreements, at=D, max_depth=10)
    assert resolution.decision is Decision.NOT_ACCEPTED
    shortest = resolve(Presented("pa", "X", "1"), {("pc", "X")}, agreements, at=D, max_depth=10)
    assert [hop.agreement_id for hop in shortest.path] == ["c3"]


def test_ties_go_to_the_stronger_form_then_the_smaller_agreement_id() -> None:
    def agreement(key: str, kind: str) -> AgreementRecord:
        extras = [{"programme": "jea", "criterion": "extra"}] if kind == "common_core" else []
        return record(
            key, [mapping("cec", "HJ 2536", "jea", "No.119")], agreementType=kind, supplementaryCriteria=extras
        )

    core, full_b, full_c = agreement("a", "common_core"), agreement("b", "full"), agreement("c", "full")
    for given in ([core, full_b, full_c], [full_c, core, full_b]):
        assert [hop.agreement_id for hop in resolve(CEC_PC, JEA_PC, given, at=D).path] == ["b"]


def test_each_hop_continues_from_the_versions_it_was_recognised_as() -> None:
    first = record(
        "a1",
        [
            {
                **mapping("cec", "X", "jea", "X"),
                "to": {"programme": "jea", "category": "X", "criteriaVersions": {"min": "5", "max": "6"}},
            }
        ],
        onwardRecognition=True,
    )
    fits = record("a2", [mapping("jea", "X", "sgls", "X", {"min": "6"})], onwardRecognition=True)
    misses = record("a3", [mapping("jea", "X", "nz", "X", {"max": "4"})], onwardRecognition=True)
    start = Presented("cec", "X", "1")
    assert resolve(start, {("sgls", "X")}, [first, fits, misses], at=D).accepted
    assert not resolve(start, {("nz", "X")}, [first, fits, misses], at=D).accepted


def test_as_known_at_ignores_agreements_logged_later() -> None:
    agreement = record("a1", [mapping("cec", "HJ 2536", "jea", "No.119")], logged_us=1_000)
    assert resolve(CEC_PC, JEA_PC, [agreement], at=D, known_at_us=1_000).accepted
    assert _codes(resolve(CEC_PC, JEA_PC, [agreement], at=D, known_at_us=999)) == ["NO_AGREEMENT"]


def test_a_termination_counts_from_its_effective_time() -> None:
    ended = record("a1", [mapping("cec", "HJ 2536", "jea", "No.119")], events=[event("terminated", D, by="jea")])
    assert resolve(CEC_PC, JEA_PC, [ended], at=D - timedelta(microseconds=1)).accepted
    assert _codes(resolve(CEC_PC, JEA_PC, [ended], at=D)) == ["AGREEMENT_NOT_IN_FORCE"]
