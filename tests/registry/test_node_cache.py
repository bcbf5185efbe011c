"""The verification path's cache of stored tree nodes: per database, and filled only from reads."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, insert, text

from ecolabel_registry.db.engine import build_engine, read_snapshot, write_connection
from ecolabel_registry.db.migrate import upgrade
from ecolabel_registry.log.repository import committed_nodes, fetch_committed_nodes, fetch_nodes, nodes_table
from ecolabel_registry.log.service import Document, append, prove_inclusion_at
from verification.ed25519 import generate_private_key
from verification.leaf import DocumentKind
from verification.note import NoteSigner


def _database(path: Path, value: bytes) -> Engine:
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = build_engine(url)
    with write_connection(engine) as connection:
        connection.execute(insert(nodes_table), [{"level": 3, "idx": 7, "hash": value}])
    return engine


def test_each_database_has_its_own_cache(tmp_path: Path) -> None:
    first, second = _database(tmp_path / "a.sqlite3", b"a" * 32), _database(tmp_path / "b.sqlite3", b"b" * 32)
    for _ in range(2):  # the second round is answered from each engine's cache
        with read_snapshot(first) as connection:
            assert fetch_committed_nodes(connection, [(3, 7)]) == {(3, 7): b"a" * 32}
        with read_snapshot(second) as connection:
            assert fetch_committed_nodes(connection, [(3, 7)]) == {(3, 7): b"b" * 32}


def test_a_node_read_once_is_served_from_memory_and_the_uncached_read_sees_the_table(tmp_path: Path) -> None:
    engine = _database(tmp_path / "c.sqlite3", b"c" * 32)
    with read_snapshot(engine) as connection:
        assert fetch_committed_nodes(connection, [(3, 7), (3, 8)]) == {(3, 7): b"c" * 32}  # (3, 8) absent
    with write_connection(engine) as connection:
        connection.execute(text("DELETE FROM log_nodes"))
    with read_snapshot(engine) as connection:
        # Final nodes never change, so the cache keeps what it read; an absent node was not remembered.
        assert fetch_committed_nodes(connection, [(3, 7), (3, 8)]) == {(3, 7): b"c" * 32}
        # Auditors' endpoints and the monitor read the table itself, and see the deletion.
        assert fetch_nodes(connection, [(3, 7)]) == {}


def test_proofs_from_a_full_partial_or_emptied_cache_are_the_tables_proofs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    upgrade(url)
    engine = build_engine(url)
    signer = NoteSigner.from_private_key("cache.test/log", generate_private_key())
    documents = [Document(DocumentKind.CERTIFICATE, b'{"n":%d}' % n) for n in range(37)]  # not a power of 2
    with write_connection(engine) as connection:
        append(connection, signer, documents)
    with read_snapshot(engine) as connection:
        expected = [prove_inclusion_at(connection, leaf, 37) for leaf in range(37)]
        assert [prove_inclusion_at(connection, leaf, 37, read_only=True) for leaf in range(37)] == expected
        cache = committed_nodes(connection)
        assert len(cache) > 37  # warm: the leaves and the inner nodes every proof reads
        assert isinstance(cache, dict)
        for key in sorted(cache)[::3]:  # emptied in part, as a full cache is by another thread
            del cache[key]
        assert [prove_inclusion_at(connection, leaf, 37, read_only=True) for leaf in range(37)] == expected
        cache.clear()
        assert [prove_inclusion_at(connection, leaf, 37, read_only=True) for leaf in range(37)] == expected
