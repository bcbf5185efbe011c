"""Every statistic against a direct computation over the demo world, on both backends."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ecolabel_registry.categories.repository import codes_table
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.demo.loader import load
from ecolabel_registry.demo.spec import World
from ecolabel_registry.statistics import refresh as statistics_refresh
from tests.statistics import direct
from tests.statistics.conftest import FIRST, PROGRAMMES, world_of

pytestmark = pytest.mark.slow
DATES = (date(2008, 1, 1), date(2015, 7, 1), date(2024, 3, 15), datetime.now(UTC).date(), date(2032, 1, 1))
GROUPS = {
    "total": (),
    "programme": ("programme",),
    "category": ("programme", "category"),
    "criteria_version": ("programme", "category", "criteria_version"),
    "country": ("country",),
    "programme_country": ("programme", "country"),
}


def _get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _published(items: list[dict[str, Any]], fields: tuple[str, ...]) -> Counter[tuple[str | None, ...]]:
    counts: Counter[tuple[str | None, ...]] = Counter()
    for item in items:
        counts[(*(item[f] for f in fields), item["status"])] += item["count"]
    return counts


def _assert_all_groups_match(client: TestClient, loaded: RegistryContext) -> None:
    for day in DATES:
        for group, fields in GROUPS.items():
            body = _get(client, "/v1/statistics/certificates", group=group, as_of=day.isoformat())
            assert _published(body["items"], fields) == direct.certificate_counts(loaded.engine, day, fields), (
                group,
                day,
            )


def test_certificate_counts_in_every_grouping_equal_a_direct_count_on_every_date(
    loaded: RegistryContext, client: TestClient
) -> None:
    _assert_all_groups_match(client, loaded)
    statuses = {s for day in DATES for _, s in direct.certificate_statuses(loaded.engine, day)}
    assert {"active", "suspended", "withdrawn", "expired"} <= statuses  # the demo's histories exercise each


def test_every_answer_names_the_checkpoint_it_was_computed_at(loaded: RegistryContext, client: TestClient) -> None:
    head = _get(client, "/v1/log/checkpoint")
    for path in ("certificates", "agreements", "recognition-matrix", "cross-border-reach"):
        body = _get(client, f"/v1/statistics/{path}")
        assert body["checkpoint"]["tree_size"] == head["tree_size"]
        assert body["checkpoint"]["root_hash"] == head["root_hash"]


def test_crosswalk_counts_add_each_certificate_under_its_categorys_codes(
    loaded: RegistryContext, client: TestClient
) -> None:
    with loaded.engine.connect() as connection:
        codes: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        for row in connection.execute(select(codes_table)).mappings():
            key = (row["programme_id"], row["code"], row["criteria_version"])
            codes.setdefault(key, []).append((row["scheme"], row["value"]))
    day = date(2024, 3, 15)
    for scheme in ("cpv", "hs", "cn_procurement"):
        expected: Counter[tuple[str | None, ...]] = Counter()
        for fields, status in direct.certificate_statuses(loaded.engine, day):
            key = (fields["programme"], fields["category"], fields["criteria_version"])
            for found, code in codes.get(key, []):
                if found == scheme:
                    expected[(code, status)] += 1
        body = _get(client, "/v1/statistics/certificates", group=scheme, as_of=day.isoformat())
        assert _published(body["items"], ("code",)) == expected
        assert {item["scheme"] for item in body["items"]} <= {scheme}
    assert any(expected.values())
    categories = _get(client, "/v1/statistics/certificates", group="category", as_of=day.isoformat())["items"]
    assert any(item["crosswalk"]["cpv"] for item in categories)


def test_a_monthly_series_equals_direct_counts_on_each_months_last_day(
    loaded: RegistryContext, client: TestClient
) -> None:
    body = _get(client, "/v1/statistics/certificates/series", group="programme", **{"from": "2023-11", "to": "2024-02"})
    assert body["months"] == ["2023-11", "2023-12", "2024-01", "2024-02"]
    last_days = [date(2023, 11, 30), date(2023, 12, 31), date(2024, 1, 31), date(2024, 2, 29)]
    for index, day in enumerate(last_days):
        published = Counter(
            {(line["programme"], line["status"]): line["points"][index]["count"] for line in body["lines"]}
        )
        expected = direct.certificate_counts(loaded.engine, day, ("programme",))
        assert +published == expected, day
    far = _get(client, "/v1/statistics/certificates/series", group="total", **{"from": "2040-01", "to": "2040-02"})
    expected_far = direct.certificate_counts(loaded.engine, date(2040, 1, 31), ())
    assert {(line["status"],): line["points"][0]["count"] for line in far["lines"]} == dict(expected_far)


def test_agreement_counts_by_type_and_standing_equal_a_direct_count(
    loaded: RegistryContext, client: TestClient
) -> None:
    for day in DATES:
        body = _get(client, "/v1/statistics/agreements", as_of=day.isoformat())
        published = Counter({(i["agreement_type"], i["standing"]): i["count"] for i in body["items"]})
        assert published == direct.agreement_counts(loaded.engine, day)


def test_the_recognition_matrix_gives_the_equivalence_answer_for_every_cell(
    loaded: RegistryContext, client: TestClient
) -> None:
    for day in (date(2008, 1, 1), date(2024, 12, 1)):
        body = _get(client, "/v1/statistics/recognition-matrix", as_of=day.isoformat())
        assert body["items"]
        for cell in body["items"]:
            answer = _get(
                client,
                "/v1/equivalence",
                programme=cell["from_programme"],
                category=cell["from_category"],
                accepted=f"{cell['to_programme']}:{cell['to_category']}",
                date=day.isoformat(),
            )
            assert cell["decision"] == answer["decision"]
            assert cell["agreement_types"] == [hop["agreement_type"] for hop in answer["path"]]
            assert cell["reasons"] == [reason["code"] for reason in answer["reasons"]]
    decisions = {cell["decision"] for cell in body["items"]}
    assert "accepted_through_agreement" in decisions


def test_cross_border_reach_counts_the_certificates_each_programme_would_accept(
    loaded: RegistryContext, client: TestClient
) -> None:
    day = date(2024, 12, 1)
    body = _get(client, "/v1/statistics/cross-border-reach", as_of=day.isoformat())
    recognizers = {item["recognizer"] for item in body["items"]}
    categories: dict[str, list[str]] = {}
    for programme in recognizers:
        listed = _get(client, f"/v1/programmes/{programme}/categories")
        categories[programme] = sorted({c["code"] for c in listed["items"]})
    expected: Counter[tuple[str, str]] = Counter()
    active: Counter[str] = Counter()
    certificates = _get(client, "/v1/certificates", status="active", as_of=f"{day.isoformat()}T00:00:00Z", limit=500)[
        "items"
    ]
    assert len(certificates) < 500
    for certificate in certificates:
        active[certificate["programme_id"]] += 1
        for recognizer in sorted(recognizers - {certificate["programme_id"]}):
            answer = _get(
                client,
                "/v1/equivalence",
                certificate_id=certificate["id"],
                accepted=[f"{recognizer}:{code}" for code in categories[recognizer]],
                date=day.isoformat(),
            )
            if answer["accepted"]:
                expected[(certificate["programme_id"], recognizer)] += 1
    assert Counter({(i["programme"], i["recognizer"]): i["certificates"] for i in body["items"]}) == expected
    assert all(item["active"] == active[item["programme"]] for item in body["items"])
    assert expected


def test_figures_refreshed_as_the_log_grows_equal_those_computed_from_scratch(
    context: RegistryContext, demo_world: World, client: TestClient, tmp_path: Path
) -> None:
    keys = tmp_path / "demo-keys"
    load(context, world_of(demo_world, FIRST), keys, workers=1)
    first = _get(client, "/v1/statistics/certificates", group="programme")
    assert {item["programme"] for item in first["items"]} == set(FIRST)
    load(context, world_of(demo_world, PROGRAMMES), keys, workers=1)
    second = _get(client, "/v1/statistics/certificates", group="programme")
    assert second["checkpoint"]["tree_size"] > first["checkpoint"]["tree_size"]
    _assert_all_groups_match(client, context)


def test_refreshes_racing_in_several_threads_apply_the_new_leaves_once(
    loaded: RegistryContext, client: TestClient
) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            statistics_refresh.refresh(loaded.engine)
        except Exception as exc:  # noqa: BLE001  (reported below: a thread's exception would otherwise vanish)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    _assert_all_groups_match(client, loaded)


def test_a_bad_series_range_is_a_problem_document(client: TestClient) -> None:
    answer = client.get("/v1/statistics/certificates/series", params={"from": "2024-05", "to": "2024-01"})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    answer = client.get("/v1/statistics/certificates", params={"group": "cpv", "as_of": "2024-13-01"})
    assert answer.status_code == 422


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/statistics/certificates/series", {"from": "console", "to": "2026-01"}),
        ("/v1/statistics/certificates/series", {"from": "2026-01", "to": "2026-13"}),
        ("/v1/statistics/supply-links", {"month": "console"}),
        ("/v1/statistics/supply-links", {"month": "0000-01"}),
        ("/v1/statistics/certificates/series", {"from": "1969-12", "to": "2026-01"}),
    ],
)
def test_a_month_that_is_not_yyyy_mm_is_a_422_not_a_500(client: TestClient, path: str, params: dict[str, str]) -> None:
    answer = client.get(path, params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
