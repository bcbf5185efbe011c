"""Agreements modelled on real public ones (tests/recognition/practice.py: models, dates as published)
answer buyers' questions correctly, with explanations, through the HTTP API and real signed documents."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.recognition import practice
from tests.recognition.practice import World
from tests.recognition.world import equivalence

VALID = {"validFrom": "2002-01-01T00:00:00Z", "validUntil": "2030-12-31T00:00:00Z"}


@pytest.fixture
def world(client: TestClient, admin_headers: dict[str, str]) -> World:
    return practice.build_world(client, admin_headers)


def _reasons(answer: dict[str, object]) -> list[str]:
    return [reason["code"] for reason in answer["reasons"]]  # type: ignore[attr-defined, index]


def test_china_japan_2005_renewed_2011(client: TestClient, world: World) -> None:
    agreement_id = practice.cec_jea(client, world, renewed=False)
    duplicator = world["jea"].certificate(client, "JEA-DD-0001", "digital-duplicators", **VALID)
    asked = {"certificate_id": duplicator, "accepted": "cec:digital-duplicators"}

    first_term = equivalence(client, **asked, date="2008-06-01")
    assert first_term["decision"] == "accepted_through_agreement"
    (hop,) = first_term["path"]
    assert hop["agreement_id"] == agreement_id
    assert hop["title"] == "China Environmental Labelling - Japan Eco Mark mutual recognition (model)"
    assert hop["announcement"] == practice.SOURCE
    assert (hop["from"]["programme"], hop["to"]["programme"]) == ("jea", "cec")
    assert first_term["conditions"] == []
    assert "cec recognises jea digital-duplicators as digital-duplicators" in first_term["explanation"]

    lapsed = equivalence(client, **asked, date="2013-06-01")
    assert _reasons(lapsed) == ["AGREEMENT_NOT_IN_FORCE"]
    assert "expired" in lapsed["reasons"][0]["detail"]  # type: ignore[index]

    practice.renew(client, world["jea"], agreement_id, approvers=[world["cec"]])
    assert equivalence(client, **asked, date="2013-06-01")["accepted"] is True
    assert equivalence(client, **asked, date="2016-06-01")["decision"] == "not_accepted"
    back = world["cec"].certificate(client, "CEC-DD-0001", "digital-duplicators", **VALID)
    assert equivalence(client, certificate_id=back, accepted="jea:digital-duplicators", date="2008-06-01")["accepted"]


def test_china_japan_korea_common_core_computers_found_from_a_procurement_code(
    client: TestClient, world: World
) -> None:
    agreement_id = practice.cjk_common_core(client, world, "computers", "2007-01-01T00:00:00Z")
    computer = world["keiti"].certificate(client, "KR-PC-2025-001", "computers", **VALID)

    answer = equivalence(client, certificate_id=computer, cn_procurement="A02010104", date="2025-03-01")
    assert answer["requirement"]["accepted"] == ["cec:HJ 2536"]
    assert answer["decision"] == "accepted_through_agreement"
    assert answer["path"][0]["agreement_id"] == agreement_id
    assert answer["path"][0]["agreement_type"] == "common_core"
    (condition,) = answer["conditions"]
    assert condition["kind"] == "supplementary_criteria"
    assert (condition["programme"], condition["category"]) == ("cec", "HJ 2536")
    assert condition["criteria"] == ["cec criteria beyond the common core"]
    assert "Still to check" in answer["explanation"]
    assert equivalence(client, certificate_id=computer, cpv="30213000-5", date="2025-03-01")["accepted"] is True

    before = equivalence(client, certificate_id=computer, cn_procurement="A02010104", date="2006-12-31")
    assert _reasons(before) == ["AGREEMENT_NOT_IN_FORCE"]
    assert "not yet effective" in before["reasons"][0]["detail"]  # type: ignore[index]


def test_china_japan_korea_printing_ink_2021_needs_every_signature(client: TestClient, world: World) -> None:
    agreement_id = practice.cjk_common_core(client, world, "printing ink", "2021-01-01T00:00:00Z", signers=1)
    asked = {"programme": "keiti", "category": "printing-ink", "accepted": "jea:printing-ink"}
    unsigned = equivalence(client, **asked, date="2022-01-01")
    assert _reasons(unsigned) == ["AGREEMENT_NOT_IN_FORCE"]
    assert "not yet signed by keiti" in unsigned["reasons"][0]["detail"]  # type: ignore[index]
    client.post(
        f"/v1/agreements/{agreement_id}/signatures", json={"signature": world["keiti"].signature(agreement_id)}
    ).raise_for_status()
    assert equivalence(client, **asked, date="2022-01-01")["decision"] == "accepted_through_agreement"
    assert equivalence(client, **asked, date="2020-12-31")["decision"] == "not_accepted"


def test_japan_singapore_2024_flooring_and_tile_carpets_one_way_common_criteria_only(
    client: TestClient, world: World
) -> None:
    practice.jea_sgls(client, world)
    carpet = world["jea"].certificate(client, "JEA-TC-0042", "tile-carpets", **VALID)
    asked = {"certificate_id": carpet, "accepted": "sgls:tile-carpets"}

    answer = equivalence(client, **asked, date="2025-01-01")
    assert answer["decision"] == "accepted_through_agreement"
    assert answer["conditions"][0]["criteria"] == ["SGLS criteria outside the common criteria"]
    # Effective 20 Nov 2024 in Singapore (UTC+8): 19 Nov 2024 16:00 UTC.
    assert equivalence(client, **asked, date="2024-11-19T15:59:59Z")["decision"] == "not_accepted"
    assert equivalence(client, **asked, date="2024-11-19T16:00:00Z")["accepted"] is True
    flooring = world["sgls"].certificate(client, "SG-FL-001", "flooring", **VALID)
    backwards = equivalence(client, certificate_id=flooring, accepted="jea:flooring", date="2025-01-01")
    assert _reasons(backwards) == ["NO_AGREEMENT"]
    wrong_category = equivalence(client, **{**asked, "accepted": "sgls:flooring"}, date="2025-01-01")
    assert _reasons(wrong_category) == ["CATEGORY_OUT_OF_SCOPE"]


def test_japan_nordic_copiers_2002_partial_and_limited_to_criteria_versions(client: TestClient, world: World) -> None:
    practice.jea_nordic_copiers(client, world)
    current = world["nordic-swan"].certificate(client, "NS-COPY-6", "copiers", "6", **VALID)
    older = world["nordic-swan"].certificate(client, "NS-COPY-4", "copiers", "4", **VALID)

    in_range = equivalence(client, certificate_id=older, accepted="jea:copiers", date="2010-01-01")
    assert in_range["decision"] == "accepted_through_agreement"
    assert in_range["path"][0]["from"]["criteria_versions"] == {"min": None, "max": "5"}
    assert in_range["conditions"][0]["criteria"] == ["Eco Mark requirements not shared with Nordic Swan"]
    out_of_range = equivalence(client, certificate_id=current, accepted="jea:copiers", date="2010-01-01")
    assert _reasons(out_of_range) == ["CRITERIA_VERSION_OUT_OF_RANGE"]
    assert "version 5 or earlier, not criteria version 6" in out_of_range["reasons"][0]["detail"]  # type: ignore[index]
    assert equivalence(client, certificate_id=older, accepted="jea:copiers", date="2002-03-01")["accepted"] is False


def test_korea_green_seal_2012_proxy_assessment(client: TestClient, world: World) -> None:
    practice.keiti_green_seal(client, world)
    paint = world["keiti"].certificate(client, "KR-PAINT-7", "paints", **VALID)
    answer = equivalence(client, certificate_id=paint, accepted="green-seal:GS-11", date="2020-05-01")
    assert answer["decision"] == "accepted_through_agreement"
    (condition,) = answer["conditions"]
    assert condition["kind"] == "proxy_assessment"
    assert condition["note"].startswith("KEITI tests and assesses in Korea")
    assert (
        equivalence(client, certificate_id=paint, accepted="green-seal:GS-11", date="2011-06-01")["accepted"] is False
    )


def test_a_suspended_certificate_is_not_accepted_through_any_agreement(client: TestClient, world: World) -> None:
    practice.keiti_green_seal(client, world)
    paint = world["keiti"].certificate(client, "KR-PAINT-8", "paints", **VALID)
    suspension = world["keiti"].status_event(paint, 1, paint, "suspended", effectiveAt="2021-01-01T00:00:00Z")
    client.post(f"/v1/certificates/{paint}/events", json={"event": suspension}).raise_for_status()
    answer = equivalence(client, certificate_id=paint, accepted="green-seal:GS-11", date="2021-06-01")
    assert _reasons(answer) == ["CERTIFICATE_SUSPENDED"]
    assert answer["subject"]["status"] == "suspended"
    assert equivalence(client, certificate_id=paint, accepted="green-seal:GS-11", date="2020-06-01")["accepted"]
    assert _reasons(equivalence(client, certificate_id=paint, accepted="green-seal:GS-11", date="2001-01-01")) == [
        "CERTIFICATE_NOT_YET_VALID"
    ]


def test_recognition_is_not_transitive_unless_every_hop_allows_it(client: TestClient, world: World) -> None:
    """CEC→JEA and JEA→SGLS do not give CEC→SGLS; they do only when both agreements allow onward recognition."""
    flooring = world["cec"].certificate(client, "CEC-FL-1", "flooring", **VALID)
    asked = {"certificate_id": flooring, "accepted": "sgls:flooring", "date": "2025-06-01"}

    def cec_jea_flooring(onward: bool) -> str:
        token = world["cec"].agreement(
            ["cec", "jea"],
            [practice.scope("cec", "flooring", "jea", "flooring")],
            title=f"Test: CEC-JEA flooring (onward {onward})",
            mutual=False,
            recognitions=[{"recognizer": "jea", "recognized": "cec"}],
            onwardRecognition=onward,
        )
        return practice.conclude(client, world["cec"], [world["jea"]], token)

    cec_jea_flooring(onward=False)
    practice.jea_sgls(client, world, onward=False)
    plain = equivalence(client, **asked)
    assert _reasons(plain) == ["NO_AGREEMENT"]
    assert "onward recognition" in plain["reasons"][0]["detail"]  # type: ignore[index]

    onward_first = cec_jea_flooring(onward=True)
    assert equivalence(client, **asked)["accepted"] is False  # the JEA-SGLS hop still does not allow it

    onward_second = practice.jea_sgls(client, world, onward=True)
    both = equivalence(client, **asked)
    assert both["decision"] == "accepted_through_agreement"
    assert [hop["agreement_id"] for hop in both["path"]] == [onward_first, onward_second]
    assert both["conditions"][0]["programme"] == "sgls"


def test_bad_equivalence_questions_are_problems(client: TestClient, world: World) -> None:
    def problem(**params: str) -> tuple[int, str | None]:
        body = equivalence(client, **params)
        return body["status_code"], body.get("code")  # type: ignore[return-value]

    assert problem(accepted="cec:HJ 2536") == (400, "SUBJECT_REQUIRED")
    assert problem(programme="jea", certificate_id="a" * 64, accepted="cec:HJ 2536") == (400, "SUBJECT_REQUIRED")
    assert problem(programme="jea", category="computers") == (400, "TARGET_REQUIRED")
    assert problem(programme="jea", category="computers", accepted="cec:HJ 2536", cpv="30213000") == (
        400,
        "TARGET_REQUIRED",
    )
    assert problem(programme="jea", category="computers", accepted="HJ 2536") == (400, "BAD_ACCEPTED")
    assert problem(programme="jea", category="computers", cpv="99999999") == (404, "UNKNOWN_PROCUREMENT_CODE")
    assert problem(programme="nobody", category="x", accepted="cec:HJ 2536") == (404, "UNKNOWN_PROGRAMME")
    assert problem(certificate_id="a" * 64, accepted="cec:HJ 2536")[0] == 404
    assert problem(programme="jea", accepted="cec:HJ 2536", date="yesterday") == (422, "BAD_DATE")
    assert problem(programme="jea", accepted="cec:HJ 2536", date="2025-01-01T00:00:00") == (422, "NAIVE_DATETIME")
