"""A tender for "label L or equivalent": eligibility accepts a certificate through an agreement in force."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.recognition.practice import build_world, jea_sgls
from verification.decision import verify_saved_eligibility
from verification.jwk import parse_public_jwk


def _check(client: TestClient, requirement: dict[str, Any], certificate: str, date: str) -> dict[str, Any]:
    response = client.post(
        "/v1/verify/eligibility",
        json={"requirement": requirement, "date": date, "items": [{"certificate_id": certificate}]},
    )
    assert response.status_code == 200, response.text
    saved: dict[str, Any] = response.json()
    key = parse_public_jwk(client.get("/.well-known/ecolabel-registry").json()["jwks"]["keys"][0])
    verify_saved_eligibility(saved, key)
    return saved


def test_an_eco_mark_flooring_licence_is_eligible_for_a_singapore_green_label_tender(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    world = build_world(client, admin_headers, ("jea", "sgls"))
    agreement = jea_sgls(client, world)
    licence = world["jea"].certificate(client, "JEA-FL-0001", "flooring")
    wanted = {"accepted": [{"programme": "sgls", "category": "flooring"}]}

    after = _check(client, wanted, licence, "2025-06-01T00:00:00Z")["results"][0]
    assert after["eligible"] is True
    (certificate,) = after["certificates"]
    assert certificate["accepted_via"] == "equivalent"
    assert [hop["agreement"] for hop in certificate["path"]] == [agreement]
    assert certificate["path"][0]["type"] == "common_core"
    assert certificate["conditions"], "common core recognition leaves SGLS's supplementary criteria to meet"

    before = _check(client, wanted, licence, "2024-06-01T00:00:00Z")["results"][0]
    assert before["eligible"] is False
    assert "AGREEMENT_NOT_IN_FORCE" in before["reasons"]

    strict = _check(client, {**wanted, "equivalents": False}, licence, "2025-06-01T00:00:00Z")["results"][0]
    assert (strict["eligible"], strict["reasons"]) == (False, ["LABEL_NOT_ACCEPTED"])
