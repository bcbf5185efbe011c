"""The recognition routes validate their own parameters (`api.routing.DirectJSONRoute`): every answer,
problem documents for malformed input included, is the one FastAPI's request handler gives.

The same questions go to one app with the direct handling and to one where every route is served by
FastAPI's handler (`StrictJSONRoute`); status, media type, `Allow` and body must be equal byte for byte.
The database is empty, so these are the refusals; `tests/recognition/test_answer_bytes.py` holds the
answers over the demo world to the plain assembly's bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import orjson
import pytest
from fastapi.routing import APIRoute, request_response
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from ecolabel_registry.api import equivalence, routing, trqp
from ecolabel_registry.app import create_app
from ecolabel_registry.settings import Settings

_TIME = {"time": "2025-06-01T00:00:00Z"}
_QUESTION = {"entity_id": "jea", "authority_id": "jea", "action": "recognize", "resource": "No.118"}
BODIES: tuple[bytes, ...] = (
    b"",
    b"{",
    b"[]",
    b"null",
    b"1",
    b'"x"',
    b"{}",
    b'{"entity_id": 1}',
    b'{"a": 1, "a": 2}',
    b"NaN",
    b"[" * 300 + b"]" * 300,
    b'{"entity_id": "jea\\u0000"}',
    b'{"entity_id": "' + b"a" * 100_000 + b'"}',
    b'{"entity_id": "jea", "authority_id": "jea", "action": "recognize", "resource": "x", "context": {"a": 1}}',
    b'{"entity_id": "jea", "authority_id": "jea", "action": "recognize", "resource": "x", "context": []}',
    orjson.dumps(_QUESTION | {"authority_id": "nope", "context": _TIME}),
    b'{"entity_id": "jea", "authority_id": "jea", "action": "fly", "resource": "x"}',
    b'{"entity_id": "jea", "authority_id": "jea", "action": "recognize", "resource": "x", "context": {"time": "bad"}}',
)
HEADERS = ({"content-type": "application/json"}, {"content-type": "text/plain"}, {})
QUERIES = (
    "",
    "programme=jea",
    "certificate_id=zz&accepted=a:b",
    "programme=jea&accepted=a:b&date=bad",
    "programme=jea&certificate_id=" + "a" * 64 + "&accepted=a:b",
    "programme=JEA&accepted=a:b",
    "programme=jea&cpv=1&accepted=a:b",
    "programme=jea&category=&accepted=a:b",
    "programme=jea&accepted=a:b&x=%00",
    "programme=jea&accepted=" + "&accepted=".join(["a:b"] * 101),
    "programme=nope&accepted=a:b&date=2025-06-01T00:00:00Z",
    "programme=jea&programme=cec&accepted=cec%3AHJ+2536&accepted=jea:No.118&category=a+b",
    "programme=jea&accepted=&category",
    "programme&accepted=a:b",
    "&&programme=j%65a&&accepted=a%3Ab&known_at=2025-06-01T00%3A00%3A00Z&",
    "programme=jea&accepted=a:b&date=%FF%FE&criteria_version=%E2%82%AC",
    "programme=jea&accepted=a:b&certificate_id=" + "A" * 64,
    "certificate_id=" + "a" * 64 + "%0A&accepted=a:b",
    "programme=jea&accepted=a:b&cpv=03000000-1&cn_procurement=A02010104",
    "programme=jea=x&accepted=a:b:c&category=" + "c" * 65,
    "programme=%6A%65%61&accepted=a:b&date=%20",
)
# Query strings that `query_lists` must read as Starlette's `QueryParams` does.
RAW_QUERIES: tuple[bytes, ...] = (
    b"",
    b"&",
    b"a",
    b"a=",
    b"=a",
    b"=",
    b"a=1&a=2&b=3&a=4",
    b"a+b=c+d",
    b"a%2Bb=c%2bd",
    b"a=%",
    b"a=%zz&b=%4",
    b"a=%FF%FE%E2%82%AC%C3",
    b"a=\xe9\xff&\xc3\xa9=1",
    b"a=b=c&&&d",
    b"a;b=c",
    b"%00=%00",
    b"a=%20+%2B",
)


@contextmanager
def _client(settings: Settings, *, direct: bool, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with monkeypatch.context() as patch:
        if not direct:
            patch.setattr(routing, "_direct", lambda _dependant: False)
            # These routes are built once, when their modules are imported, and served as the application's
            # own (`create_app`): their handlers are built again here, with the patch in force.
            for route in (*equivalence.router.routes, *trqp.router.routes):
                assert isinstance(route, APIRoute)
                assert route.max_body_size is None  # the app is the handler alone
                handler = route.get_route_handler()
                assert not getattr(handler, "direct", False)
                patch.setattr(route, "app", request_response(handler))
        app = create_app(settings)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client


def _answers(client: TestClient) -> list[tuple[object, ...]]:
    found = []
    for kind in ("recognition", "authorization"):
        for body in (*BODIES, orjson.dumps(_QUESTION | {"context": _TIME})):
            for headers in HEADERS:
                response = client.post(f"/trqp/v2/{kind}", content=body, headers=headers)
                found.append((kind, body[:60], headers, *_seen(response)))
        found.append((kind, "GET", *_seen(client.get(f"/trqp/v2/{kind}"))))
    for query in QUERIES:
        found.append((query[:60], *_seen(client.get("/v1/equivalence?" + query))))
    return found


def _seen(response: httpx.Response) -> tuple[object, ...]:
    headers = response.headers
    return response.status_code, headers.get("content-type"), headers.get("allow"), response.content


def test_direct_routes_answer_as_fastapis_handler(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with _client(settings, direct=False, monkeypatch=monkeypatch) as plain:
        expected = _answers(plain)
    with _client(settings, direct=True, monkeypatch=monkeypatch) as direct:
        assert all(
            isinstance(route, routing.DirectJSONRoute) for route in (*trqp.router.routes, *equivalence.router.routes)
        )
        assert _answers(direct) == expected
    statuses = {part for answer in expected for part in answer if isinstance(part, int)}
    assert statuses >= {400, 404, 405, 415, 422}


@pytest.mark.parametrize("raw", [*RAW_QUERIES, *(query.encode() for query in QUERIES)])
def test_query_is_read_as_starlette_reads_it(raw: bytes) -> None:
    params = QueryParams(raw)
    names = list(dict.fromkeys(name for name, _ in params.multi_items()))
    assert routing.query_lists(raw) == {name: params.getlist(name) for name in names}
    assert list(routing.query_lists(raw)) == names


# Query text made of what a query's reading must tell apart (separators, `+`, escapes of ASCII and of other
# bytes, broken escapes, Latin-1 bytes), and the equivalence parameters' names and values.
_QUERY_TEXT = st.lists(
    st.sampled_from(
        (
            *("&", "=", "+", "%", "%2", "%3A", "%3a", "%7F", "%80", "%C3%A9", "%E2%82", "%zz", "%25", "%26", "%3D"),
            *("%2B", "%00", "a", "0", "f", "F", "-", ":", ";", " ", "\xe9", "\xff", "programme", "category"),
            *("accepted", "certificate_id", "date", "known_at", "cpv", "jea", "No.118", "a" * 64),
            "2025-06-01T00:00:00Z",
        )
    ),
    max_size=24,
).map("".join)


@hypothesis_settings(max_examples=500, deadline=None)  # no wall-clock limit: the machine may be busy
@given(_QUERY_TEXT)
def test_any_query_is_read_as_starlette_reads_it(text: str) -> None:
    raw = text.encode("latin-1")
    params = QueryParams(raw)
    names = list(dict.fromkeys(name for name, _ in params.multi_items()))
    assert routing.query_lists(raw) == {name: params.getlist(name) for name in names}
    assert list(routing.query_lists(raw)) == names


# Each generated list of queries is asked of two fresh apps, one after the other (the routes are shared
# objects, patched for the plain one): the fixtures hold only a database path and undo their patches.
@hypothesis_settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(st.lists(_QUERY_TEXT, min_size=40, max_size=40))
def test_any_equivalence_query_is_answered_as_fastapis_handler(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, texts: list[str]
) -> None:
    """Status, media type, `Allow` and body of `/v1/equivalence` for generated queries, malformed ones
    included: the direct route's own query reading against FastAPI's handler (`QueryParams`)."""
    urls = ["/v1/equivalence?" + text for text in texts]
    with _client(settings, direct=False, monkeypatch=monkeypatch) as plain:
        expected = [_seen(plain.get(url)) for url in urls]
    with _client(settings, direct=True, monkeypatch=monkeypatch) as direct:
        assert [_seen(direct.get(url)) for url in urls] == expected
