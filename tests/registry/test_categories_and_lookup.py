"""Categories with crosswalk codes, and certificate lookup by every filter, paged by cursor."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import Certifier, certificate_id, certifier


@pytest.fixture
def body(client: TestClient, admin_headers: dict[str, str]) -> Certifier:
    return certifier(client, admin_headers, "eu-ecolabel")


def test_a_category_version_is_defined_once_with_its_crosswalk(client: TestClient, body: Certifier) -> None:
    listed = client.get("/v1/programmes/eu-ecolabel/categories").json()["items"]
    assert [(c["code"], c["criteria_version"]) for c in listed] == [("044", "1")]
    assert listed[0]["crosswalk"] == {"cpv": ["44810000"], "cn_procurement": [], "hs": ["3208", "3209"]}
    again = client.post("/v1/programmes/eu-ecolabel/categories", json={"category": listed[0]["document"]})
    assert (again.status_code, again.json()["created"]) == (200, False)
    changed = body.sign(body.category_payload(names={"en": "Paints, renamed"}), "ecolabel-category+jwt")
    conflict = client.post("/v1/programmes/eu-ecolabel/categories", json={"category": changed})
    assert (conflict.status_code, conflict.json()["code"]) == (409, "CATEGORY_VERSION_EXISTS")
    version_2 = body.sign(body.category_payload(version="2"), "ecolabel-category+jwt")
    assert client.post("/v1/programmes/eu-ecolabel/categories", json={"category": version_2}).status_code == 201


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"crosswalk": {"cpv": ["4481"]}}, "PAYLOAD_INVALID"),
        ({"crosswalk": {"hs": ["32"]}}, "PAYLOAD_INVALID"),
        ({"names": {"de": "Farben"}}, "PAYLOAD_INVALID"),
        (
            {
                "criteria": {
                    "id": "x",
                    "version": "1",
                    "validFrom": "2020-01-01T00:00:00Z",
                    "validUntil": "2019-01-01T00:00:00Z",
                }
            },
            "PAYLOAD_INVALID",
        ),
    ],
    ids=["short-cpv", "short-hs", "no-english-name", "criteria-end-before-start"],
)
def test_a_malformed_category_is_refused(
    client: TestClient, body: Certifier, overrides: dict[str, object], code: str
) -> None:
    token = body.sign(body.category_payload(code="045", **overrides), "ecolabel-category+jwt")
    response = client.post("/v1/programmes/eu-ecolabel/categories", json={"category": token})
    assert (response.status_code, response.json()["code"]) == (422, code)


def test_a_programme_cannot_define_another_programmes_category(
    client: TestClient, body: Certifier, admin_headers: dict[str, str]
) -> None:
    other = certifier(client, admin_headers, "nordic-swan", category=False)
    token = other.sign(other.category_payload(code="096"), "ecolabel-category+jwt")
    response = client.post("/v1/programmes/eu-ecolabel/categories", json={"category": token})
    assert (response.status_code, response.json()["code"]) == (403, "WRONG_PROGRAMME")


def test_lookup_by_licence_gtin_holder_category_and_status(client: TestClient, body: Certifier) -> None:
    first = body.credential("IT/044/005")
    second = body.credential(
        "IT/044/006",
        credentialSubject={
            **body.credential_payload()["credentialSubject"],
            "licenceNumber": "IT/044/006",
            "holder": {
                "name": "Colori Srl",
                "country": "IT",
                "identifiers": [{"scheme": "VAT", "value": "IT00743110157"}],
            },
            "products": [{"name": "Varnish", "gtin": "96385074"}],
        },
    )
    for token in (first, second):
        client.post("/v1/certificates", json={"credential": token}).raise_for_status()
    client.post(
        f"/v1/certificates/{certificate_id(first)}/events",
        json={"event": body.status_event(certificate_id(first), 1, certificate_id(first))},
    ).raise_for_status()

    def ids(**params: str) -> list[str]:
        return [item["id"] for item in client.get("/v1/certificates", params=params).json()["items"]]

    assert ids(licence_no="IT/044/006") == [certificate_id(second)]
    assert ids(gtin="96385074") == [certificate_id(second)]
    assert ids(gtin="00000096385074") == [certificate_id(second)], "GTINs match whatever their length"
    assert ids(holder="5493001KJTIIGC8Y1R12") == [certificate_id(first)]
    assert sorted(ids(category="044")) == sorted([certificate_id(first), certificate_id(second)])
    assert ids(status="suspended") == [certificate_id(first)]
    assert ids(status="suspended", as_of="2024-06-01T00:00:00Z") == []
    assert ids(programme="nordic-swan") == []
    bad = client.get("/v1/certificates", params={"gtin": "96385075"})
    assert (bad.status_code, bad.json()["code"]) == (422, "BAD_GTIN")


def test_lookup_pages_by_cursor_without_gaps_or_repeats(client: TestClient, body: Certifier) -> None:
    tokens = [body.credential(f"IT/044/{n:03d}") for n in range(25)]
    client.post("/v1/certificates/batch", json={"credentials": tokens}).raise_for_status()
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "7", **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/certificates", params=params).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(certificate_id(token) for token in tokens)


def test_dates_without_a_time_zone_are_refused(client: TestClient, body: Certifier) -> None:
    response = client.get("/v1/certificates", params={"as_of": "2025-01-01T00:00:00"})
    assert (response.status_code, response.json()["code"]) == (422, "NAIVE_DATETIME")
