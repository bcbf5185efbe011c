"""Bulk inserts store exactly what a plain INSERT stores, on both backends (COPY on PostgreSQL, or a
multi-row INSERT in a pipeline)."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    cast,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from ecolabel_registry.db.bulk import COPY_FROM_ROWS, PrebuiltWrite, insert_rows, pipelined
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.log.repository import entries_table


def _entries(start: int, count: int) -> list[dict[str, object]]:
    return [
        {
            "leaf_index": i,
            "kind": "certificate",
            "integrated_us": 1_700_000_000_000_000 + i,
            "document": bytes([i % 256]) * 3 + b"\x00\\\n\t,'\"",  # bytes COPY's text format must escape
            "document_sha256": i.to_bytes(32, "big"),
            "leaf_hash": (i + 1).to_bytes(32, "big"),
        }
        for i in range(start, start + count)
    ]


def test_many_rows_and_few_rows_round_trip(engine: Engine) -> None:
    many, few = _entries(0, COPY_FROM_ROWS + 10), _entries(COPY_FROM_ROWS + 10, COPY_FROM_ROWS - 1)
    with write_connection(engine) as connection:
        insert_rows(connection, entries_table, many)
        insert_rows(connection, entries_table, few)
        insert_rows(connection, entries_table, [])
    with engine.connect() as connection:
        stored = [
            dict(row)
            for row in connection.execute(select(entries_table).order_by(entries_table.c.leaf_index)).mappings()
        ]
    for row in stored:
        for name in ("document", "document_sha256", "leaf_hash"):
            row[name] = bytes(row[name])
    assert stored == many + few


def test_a_failed_transaction_keeps_no_copied_row(engine: Engine) -> None:
    try:
        with write_connection(engine) as connection:
            insert_rows(connection, entries_table, _entries(0, COPY_FROM_ROWS))
            raise RuntimeError("the request fails after the rows were sent")
    except RuntimeError:
        pass
    with engine.connect() as connection:
        assert connection.execute(select(entries_table.c.leaf_index)).first() is None


def _stored_entries(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        rows = [dict(row) for row in connection.execute(select(entries_table).order_by("leaf_index")).mappings()]
    for row in rows:
        for name in ("document", "document_sha256", "leaf_hash"):
            row[name] = bytes(row[name])
    return rows


def test_rows_sent_in_a_pipeline_are_stored_as_copied(engine: Engine) -> None:
    many, one = _entries(0, COPY_FROM_ROWS + 10), _entries(COPY_FROM_ROWS + 10, 1)
    with write_connection(engine) as connection, pipelined(connection, items=1):
        insert_rows(connection, entries_table, many)
        insert_rows(connection, entries_table, one)
    assert _stored_entries(engine) == many + one


def test_a_statement_failing_in_a_pipeline_rolls_back_the_whole_transaction(engine: Engine) -> None:
    with write_connection(engine) as connection:
        insert_rows(connection, entries_table, _entries(0, 3))

    def accepted_refused_then_more() -> None:
        with write_connection(engine) as connection, pipelined(connection, items=1):
            insert_rows(connection, entries_table, _entries(3, COPY_FROM_ROWS + 5))  # accepted by the server
            insert_rows(connection, entries_table, _entries(2, COPY_FROM_ROWS))  # leaf 2 is taken: refused
            insert_rows(connection, entries_table, _entries(100, COPY_FROM_ROWS))  # after the failure

    with pytest.raises(IntegrityError):
        accepted_refused_then_more()
    assert _stored_entries(engine) == _entries(0, 3)


_REPLACE_LEAF = PrebuiltWrite(
    update(entries_table)
    .where(entries_table.c.leaf_index == bindparam("at"), entries_table.c.kind == "certificate")
    .values(leaf_hash=bindparam("hash"), document=bindparam("document"))
)


def test_a_prebuilt_write_stores_what_sqlalchemy_stores_and_fails_as_it_does(engine: Engine) -> None:
    """On the driver's cursor, with the statement's own literal bound too: the row SQLAlchemy's UPDATE
    would leave, and a refused value raised as SQLAlchemy's error, not the driver's."""
    with write_connection(engine) as connection:
        insert_rows(connection, entries_table, _entries(0, 3))
        _REPLACE_LEAF.run(connection, {"at": 1, "hash": b"\x01" * 32, "document": b"\x00\\'\""})
    expected = _entries(0, 3)
    expected[1] |= {"leaf_hash": b"\x01" * 32, "document": b"\x00\\'\""}
    assert _stored_entries(engine) == expected
    with pytest.raises(IntegrityError), write_connection(engine) as connection:
        _REPLACE_LEAF.run(connection, {"at": 1, "hash": None, "document": b""})  # leaf_hash is NOT NULL
    assert _stored_entries(engine) == expected


def _json_table() -> Table:
    return Table(
        "bulk_json_rows",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("label", String(32), nullable=False),
        Column("markets", JSON, nullable=False),
    )


def _only_ids() -> Table:
    return Table("bulk_only_ids", MetaData(), Column("id", Integer, primary_key=True))


def test_json_columns_and_keys_out_of_the_tables_order_are_stored_alike_copied_or_pipelined(engine: Engine) -> None:
    """The columns and JSON positions worked out once per table and set of keys serve every later call: a
    row's keys in another order than the table's, a JSON column, and a table of one column, stored as
    the first call stored them, by COPY and in a pipeline alike (JSON as orjson's text on PostgreSQL)."""
    table, ids = _json_table(), _only_ids()

    def rows(start: int) -> list[dict[str, object]]:
        return [{"markets": ["DE", f"F{i}"], "id": i, "label": f"n{i}"} for i in range(start, start + 3)]

    with write_connection(engine) as connection:
        table.metadata.create_all(connection)
        ids.metadata.create_all(connection)
    try:
        with write_connection(engine) as connection:
            insert_rows(connection, table, rows(0))
            insert_rows(connection, ids, [{"id": 1}, {"id": 2}])
        with write_connection(engine) as connection, pipelined(connection, items=1):
            insert_rows(connection, table, rows(3))
            insert_rows(connection, ids, [{"id": 3}, {"id": 4}])
        with engine.connect() as connection:
            stored = connection.execute(select(table.c.id, table.c.label, cast(table.c.markets, Text))).all()
            assert connection.execute(select(ids.c.id).order_by(ids.c.id)).scalars().all() == [1, 2, 3, 4]
    finally:  # the worker's database is migrated once and shared: tables of the test's own go with it
        with write_connection(engine) as connection:
            table.metadata.drop_all(connection)
            ids.metadata.drop_all(connection)
    expected = [(i, f"n{i}", ["DE", f"F{i}"]) for i in range(6)]
    assert sorted((i, label, orjson.loads(text)) for i, label, text in stored) == expected
    if engine.dialect.name == "postgresql":
        assert all(text == orjson.dumps(["DE", f"F{i}"]).decode() for i, _, text in stored)


def test_a_json_value_is_stored_as_one_text_by_one_row_or_many(engine: Engine) -> None:
    """One value, one stored text, whichever way its row went in: a lone row (SQLAlchemy's INSERT and the
    engine's serializer) and many rows (COPY on PostgreSQL, the bound `executemany` on SQLite) both store
    orjson's compact text, so a `json` column's text never depends on the size of the group that wrote it."""
    table = _json_table()
    with write_connection(engine) as connection:
        table.metadata.create_all(connection)
    try:
        with write_connection(engine) as connection:
            insert_rows(connection, table, [{"id": 0, "label": "alone", "markets": ["DE", "FR"]}])
            insert_rows(connection, table, [{"id": i, "label": "many", "markets": ["DE", "FR"]} for i in range(1, 4)])
            connection.execute(insert(table), {"id": 4, "label": "plain", "markets": ["DE", "FR"]})
        with engine.connect() as connection:
            texts = connection.execute(select(cast(table.c.markets, Text)).order_by(table.c.id)).scalars().all()
    finally:
        with write_connection(engine) as connection:
            table.metadata.drop_all(connection)
    assert texts == ['["DE","FR"]'] * 5


def _nullable_table(name: str) -> Table:
    return Table(
        name,
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("blob", LargeBinary, nullable=True),
        Column("note", String(32), nullable=True),
        Column("defaulted", String(32), nullable=True, server_default="set by default"),
    )


def test_blobs_and_columns_null_in_every_row_are_stored_as_sqlalchemy_stores_them(engine: Engine) -> None:
    """On SQLite a BLOB is bound as a `bytearray` and a nullable column without a default that is NULL in
    every row is left out of the INSERT (`db.bulk`): the rows, and on SQLite each value's storage class,
    are those of SQLAlchemy's own INSERT; a NULL given for a column with a default stays NULL."""
    bulk, plain = _nullable_table("bulk_nullable_rows"), _nullable_table("plain_nullable_rows")
    rows: list[dict[str, object]] = [
        {"id": 1, "blob": b"\x00\x01'\"", "note": None, "defaulted": None},
        {"id": 2, "blob": None, "note": None, "defaulted": None},
        {"id": 3, "blob": b"", "note": None, "defaulted": None},
    ]
    with write_connection(engine) as connection:
        bulk.metadata.create_all(connection)
        plain.metadata.create_all(connection)
    try:
        with write_connection(engine) as connection:
            insert_rows(connection, bulk, rows)
            insert_rows(connection, bulk, [{"id": 4, "blob": b"\xff", "note": "a note", "defaulted": None}])
            connection.execute(insert(plain), rows)
            connection.execute(insert(plain), [{"id": 4, "blob": b"\xff", "note": "a note", "defaulted": None}])
        with engine.connect() as connection:

            def stored(table: Table) -> list[tuple[object, ...]]:
                columns = [table.c.id, table.c.blob, table.c.note, table.c.defaulted]
                if engine.dialect.name == "sqlite":
                    columns += [func.typeof(column) for column in columns]
                return [tuple(row) for row in connection.execute(select(*columns).order_by(table.c.id))]

            assert stored(bulk) == stored(plain)
            assert [row[3] for row in stored(bulk)] == [None] * 4
    finally:  # the worker's database is migrated once and shared: tables of the test's own go with it
        with write_connection(engine) as connection:
            bulk.metadata.drop_all(connection)
            plain.metadata.drop_all(connection)
