"""The reads of one key, one category and one certificate id answer as the reads of many do.

A single submission and a group commit nearly always name one signing key, one category and one
credential: those are read by prebuilt statements on the driver's cursor (`db.raw`), the same
question the bulk statements answer for several at once. Both paths are asked here, on both backends.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from ecolabel_registry.categories import repository as categories
from ecolabel_registry.certificates import repository as certificates
from ecolabel_registry.programmes import keys
from tests.registry.factories import certificate_id, certifier

_NOBODY = ("no-such-programme", "no-such-key")


def test_one_key_is_read_as_the_bulk_read_reads_it(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    certifier(client, admin_headers, "eu-ecolabel")
    with engine.connect() as connection:
        rows = connection.execute(select(keys.keys_table.c.programme_id, keys.keys_table.c.kid)).all()
        pairs = [(programme_id, kid) for programme_id, kid in rows]
        assert pairs
        together = keys.load(connection, [*pairs, _NOBODY])
        assert set(together) == set(pairs)
        for pair in pairs:
            assert keys.load(connection, [pair]) == {pair: together[pair]}
            assert keys.load_one(connection, *pair) == together[pair]
            assert isinstance(together[pair].root, bool)
            assert isinstance(together[pair].signing, bool)
        assert keys.load(connection, [_NOBODY]) == {}
        assert keys.load_one(connection, *_NOBODY) is None


def test_one_category_is_found_as_among_several(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    certifier(client, admin_headers, "eu-ecolabel")
    table = categories.categories_table
    with engine.connect() as connection:
        defined = [
            (p, c, v)
            for p, c, v in connection.execute(select(table.c.programme_id, table.c.code, table.c.criteria_version))
        ]
        assert defined
        missing = (defined[0][0], defined[0][1], "no-such-version")
        assert categories.existing(connection, [*defined, missing]) == set(defined)
        for key in defined:
            assert categories.existing(connection, [key]) == {key}
        assert categories.existing(connection, [missing]) == set()


def test_one_certificate_id_is_found_as_among_several(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    body = certifier(client, admin_headers, "eu-ecolabel")
    token = body.credential("IT/044/001")
    assert client.post("/v1/certificates", json={"credential": token}).status_code == 201
    held, absent = certificate_id(token), "0" * 64
    with engine.connect() as connection:
        both = certificates.existing_ids(connection, [held, absent])
        assert set(both) == {held}
        assert certificates.existing_ids(connection, [held]) == both
        assert certificates.existing_ids(connection, iter([held, held])) == both
        assert certificates.existing_ids(connection, [absent]) == {}
