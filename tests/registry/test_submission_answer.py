"""A submission's answer shows the certificate exactly as a lookup of it does.

The answer to `POST /v1/certificates` is built from what the commit stored rather than read back,
so these tests hold it to `GET /v1/certificates/{id}`'s view: every field of `CertificateOut`, in
the same order, for credentials whose holder identifiers, products, dates and re-issues vary.
Only `status_at` ("now") is taken at a different instant.

Holder identifiers are listed by scheme, then value, in code-point order on both paths: a lookup
orders them in SQL, and PostgreSQL orders text by the column's collation, which for a non-C locale
puts `_z` before `B` and `b` before `B`. The collation test makes the column's collation a
linguistic one, as a database created with `en_US.UTF-8` would have, so that the test can fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import create_engine, text

from ecolabel_registry.app import create_app
from ecolabel_registry.certificates.schemas import CertificateOut, CertificateSubmitted
from ecolabel_registry.settings import Settings
from tests.registry.factories import Certifier, certifier

_VIEW = list(CertificateOut.model_fields)


@pytest.fixture(params=[256, 0], ids=["group-commit", "one-by-one"])
def http(request: pytest.FixtureRequest, settings: Settings) -> Iterator[TestClient]:
    update = {"group_commit_max_items": request.param}
    with TestClient(create_app(settings.model_copy(update=update)), raise_server_exceptions=False) as client:
        yield client


def _subject(body: Certifier, licence: str, **changes: Any) -> dict[str, Any]:
    subject: dict[str, Any] = body.credential_payload(licence)["credentialSubject"]
    subject.update(changes)
    return subject


def _credentials(body: Certifier) -> list[str]:
    identifiers = [  # out of order, one repeated: a lookup lists them once each, by scheme and value
        {"scheme": "NATIONAL", "value": "Z-9"},
        {"scheme": "LEI", "value": "5493001KJTIIGC8Y1R12"},
        {"scheme": "NATIONAL", "value": "A-1"},
        {"scheme": "GLN", "value": "4006381333931"},
        {"scheme": "NATIONAL", "value": "Z-9"},
    ]
    holder = {"name": "Vernici Verdi S.p.A.", "country": "IT", "identifiers": identifiers}
    products = [
        {"name": "Exterior paint", "brand": "Verde", "model": "VE-2", "gtin": "4006381333931"},
        {"name": "Interior paint"},
        {"name": "Primer", "brand": "Verde", "model": "P-1"},
    ]
    return [
        body.credential("IT/044/101"),
        body.credential("IT/044/102", credentialSubject=_subject(body, "IT/044/102", holder=holder)),
        body.credential("IT/044/103", credentialSubject=_subject(body, "IT/044/103", products=products)),
        body.credential("IT/044/104", validFrom="2099-01-01T00:00:00Z", validUntil="2099-12-31T00:00:00Z"),
        body.credential("IT/044/105", validFrom="2020-01-01T00:00:00Z", validUntil="2021-01-01T00:00:00Z"),
    ]


def _assert_view_of_lookup(client: TestClient, answer: dict[str, Any]) -> None:
    certificate = answer["certificate"]
    looked_up = client.get(f"/v1/certificates/{certificate['id']}").json()
    assert list(certificate) == _VIEW
    view = {name: looked_up[name] for name in _VIEW}
    certificate.pop("status_at"), view.pop("status_at")
    assert certificate == view


@pytest.fixture
def linguistic_holder_ids(database_url: str) -> Iterator[None]:
    """On PostgreSQL, the holder identifier columns collated as English text (ICU) for the test."""
    if not database_url.startswith("postgresql"):
        yield  # SQLite's only text order for these columns is BINARY: byte order, code-point order
        return
    engine = create_engine(database_url)
    columns = "ALTER COLUMN scheme TYPE varchar(16) COLLATE {c}, ALTER COLUMN value TYPE varchar(64) COLLATE {c}"
    try:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE certificate_holder_ids " + columns.format(c='"en-x-icu"')))
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE certificate_holder_ids " + columns.format(c='"default"')))
        engine.dispose()


@pytest.fixture
def linguistic_http(linguistic_holder_ids: None, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_holder_identifiers_are_in_code_point_order_whatever_the_collation(
    linguistic_http: TestClient, admin_headers: dict[str, str]
) -> None:
    body = certifier(linguistic_http, admin_headers, "eu-ecolabel")
    values = ["b", "B", "a-2", "a1", "_z", "Z", "\u00e9", "f"]  # linguistic order differs from code-point order
    identifiers = [{"scheme": "NATIONAL", "value": v} for v in values]
    identifiers.append({"scheme": "GLN", "value": "4006381333931"})
    holder = {"name": "Vernici Verdi S.p.A.", "country": "IT", "identifiers": identifiers}
    token = body.credential("IT/044/301", credentialSubject=_subject(body, "IT/044/301", holder=holder))
    response = linguistic_http.post("/v1/certificates", json={"credential": token})
    assert response.status_code == 201, response.text
    listed = [(i["scheme"], i["value"]) for i in response.json()["certificate"]["holder"]["identifiers"]]
    assert listed == sorted((i["scheme"], i["value"]) for i in identifiers)
    _assert_view_of_lookup(linguistic_http, response.json())


def test_the_answer_to_a_submission_is_the_lookup_view_of_the_certificate(
    http: TestClient, admin_headers: dict[str, str]
) -> None:
    body = certifier(http, admin_headers, "eu-ecolabel")
    for token in _credentials(body):
        response = http.post("/v1/certificates", json={"credential": token})
        assert response.status_code == 201, response.text
        _assert_view_of_lookup(http, response.json())


def test_a_reissue_and_a_resubmission_are_answered_with_the_lookup_view(
    http: TestClient, admin_headers: dict[str, str]
) -> None:
    body = certifier(http, admin_headers, "eu-ecolabel")
    first = http.post("/v1/certificates", json={"credential": body.credential("IT/044/201")}).json()
    reissue = body.credential("IT/044/201", supersedes=first["certificate"]["id"], validUntil="2028-12-31T00:00:00Z")
    second = http.post("/v1/certificates", json={"credential": reissue})
    assert second.status_code == 201, second.text
    assert second.json()["certificate"]["supersedes"] == first["certificate"]["id"]
    _assert_view_of_lookup(http, second.json())
    again = http.post("/v1/certificates", json={"credential": body.credential("IT/044/201")})
    assert again.status_code == 200, again.text
    assert again.json()["certificate"]["superseded_by"] == second.json()["certificate"]["id"]
    _assert_view_of_lookup(http, again.json())


def test_the_answer_is_the_json_fastapi_writes_for_its_model(http: TestClient, admin_headers: dict[str, str]) -> None:
    """The route writes its answer itself (a new credential's from plain values, a resubmission's by
    `answers.model_json`): the bytes FastAPI's serializer writes for `CertificateSubmitted`, as JSON, for
    new credentials (201) of every shape, a resubmission (200) and a vc+jwt body."""
    body = certifier(http, admin_headers, "eu-ecolabel")
    token = body.credential("IT/044/401")
    holder = {"name": 'Peintures \u00e9cologiques \u2014 "Vert" \\ Atelier', "country": "FR", "identifiers": []}
    quoted = body.credential("FR/017/403", credentialSubject=_subject(body, "FR/017/403", holder=holder))
    answers = [
        http.post("/v1/certificates", json={"credential": token}),
        http.post("/v1/certificates", json={"credential": token}),
        http.post(
            "/v1/certificates", content=body.credential("IT/044/402"), headers={"Content-Type": "application/vc+jwt"}
        ),
        *(http.post("/v1/certificates", json={"credential": other}) for other in [quoted, *_credentials(body)]),
    ]
    assert [answer.status_code for answer in answers] == [201, 200, 201, 201, 201, 201, 201, 201, 201]
    field = TypeAdapter(CertificateSubmitted)
    for answer in answers:
        assert answer.headers["content-type"] == "application/json"
        model = CertificateSubmitted.model_validate_json(answer.content)
        assert answer.content == field.dump_json(model, by_alias=True)
