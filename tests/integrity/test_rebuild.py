"""`rebuild` on the demo world: a database made from nothing but the log answers every public query as the
live one does, byte for byte (less the moment a decision was signed).

One test per backend, because loading the demo world is what costs. Supply-chain rows are not rebuilt
(their identifiers are not in the log; docs/DEPLOYMENT.md), so the private supply-chain endpoints are
left out; `fsck` leaves those tables out too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ecolabel_registry.app import create_app
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.demo.loader import load
from ecolabel_registry.demo.spec import World
from ecolabel_registry.integrity.rebuild import rebuild
from ecolabel_registry.settings import Settings
from tests.conftest import _postgres_admin_url

pytestmark = pytest.mark.slow
AS_OF = "2026-06-01T00:00:00Z"
SAMPLE = 25  # one certificate in SAMPLE is looked up one by one; every one of them is in the list pages


@pytest.fixture
def rebuilt_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database on the same backend as the live one."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}"
        return
    admin = create_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"{make_url(database_url).database}_rebuilt"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _pages(client: TestClient, path: str, **params: Any) -> Iterator[dict[str, Any]]:
    cursor = None
    while True:
        body = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})}).json()
        yield body
        cursor = body.get("next_cursor")
        if not cursor:
            return


def _queries(live: TestClient) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every public list and lookup, with the ids the live registry lists."""
    yield from [("/.well-known/ecolabel-registry", {}), ("/v1/log/checkpoint", {}), ("/log/checkpoint", {})]
    programmes = [p["id"] for page in _pages(live, "/v1/programmes", limit=100) for p in page["items"]]
    yield ("/v1/programmes", {"limit": 100})
    for programme in programmes:
        for suffix in ("", "/keys", "/categories", "/key-events/pending"):
            yield (f"/v1/programmes/{programme}{suffix}", {})
    certificates: list[str] = []
    for page in _pages(live, "/v1/certificates", limit=500, as_of=AS_OF):
        certificates += [c["id"] for c in page["items"]]
    for status in ("active", "suspended", "withdrawn", "expired"):
        yield ("/v1/certificates", {"status": status, "as_of": AS_OF, "limit": 500})
    for certificate in certificates[::SAMPLE]:
        yield (f"/v1/certificates/{certificate}", {"as_of": AS_OF})
        yield (f"/v1/verify/certificates/{certificate}", {"as_of": AS_OF})
        yield ("/v1/equivalence", {"certificate_id": certificate, "accepted": "sgls:tile-carpets", "date": AS_OF})
    agreements = [a["id"] for page in _pages(live, "/v1/agreements", limit=100) for a in page["items"]]
    yield ("/v1/agreements", {"limit": 100, "in_force_on": AS_OF})
    for agreement in agreements:
        yield (f"/v1/agreements/{agreement}", {"as_of": AS_OF})
    size = live.get("/v1/log/checkpoint").json()["tree_size"]
    for start in range(0, size, 1000):
        yield ("/v1/log/entries", {"start": start, "limit": 1000})
    for entry in live.get("/v1/log/entries", params={"start": 0, "limit": 1000}).json()["entries"][::SAMPLE]:
        yield (f"/v1/documents/{entry['document_sha256']}", {})
        yield ("/v1/log/proofs/inclusion", {"leaf_index": entry["leaf_index"], "tree_size": size})
    yield ("/v1/log/proofs/consistency", {"first": 1000, "second": size})
    yield from [("/log/tile/0/000", {}), ("/log/tile/0/010", {}), ("/log/tile/entries/010", {})]


def _answer(client: TestClient, path: str, params: dict[str, Any]) -> tuple[int, Any]:
    response = client.get(path, params=params)
    if not response.headers.get("content-type", "").endswith("json"):
        return response.status_code, response.content
    body = response.json()
    if isinstance(body, dict):
        body.pop("signed_decision", None)  # signed at the moment of asking: its issuedAt differs
    return response.status_code, body


def _first_difference(expected: Any, found: Any, where: str = "") -> str:
    """Where two answers first differ, for a readable failure."""
    if isinstance(expected, dict) and isinstance(found, dict):
        for key in sorted(set(expected) | set(found)):
            if expected.get(key) != found.get(key):
                return _first_difference(expected.get(key), found.get(key), f"{where}.{key}")
    if isinstance(expected, list | tuple) and isinstance(found, list | tuple) and len(expected) == len(found):
        for n, (a, b) in enumerate(zip(expected, found, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{where}[{n}]")
    return f"{where}: {expected!r:.300} != {found!r:.300}"


def test_a_rebuilt_database_answers_every_public_query_as_the_live_one(
    settings: Settings, context: RegistryContext, demo_world: World, rebuilt_url: str, tmp_path: Path
) -> None:
    load(context, demo_world, tmp_path / "demo-keys")
    result = rebuild(context.engine, rebuilt_url, settings, context.signing_key, progress=None)
    again = settings.model_copy(update={"database_url": rebuilt_url})

    with TestClient(create_app(settings)) as live, TestClient(create_app(again)) as rebuilt:
        assert live.get("/v1/log/checkpoint").json()["tree_size"] == result.tree_size
        asked = 0
        for path, params in _queries(live):
            expected = _answer(live, path, params)
            assert expected[0] == 200, (path, params, expected)
            found = _answer(rebuilt, path, params)
            assert found == expected, (path, params, _first_difference(expected, found))
            asked += 1
    assert asked > 500
