"""The stored status map against the in-memory tree, on SQLite and PostgreSQL, and tampering with it.

The stored map is what the registry will commit to in its log: every root it computes must be the
tree's root for the same puts, every proof it serves must verify, and a row edited in the database
must make the served proof fail against the root committed before the edit.
"""

from __future__ import annotations

import hashlib
import random

import pytest
from sqlalchemy import Engine, update

from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.status_map import repository, service
from verification.errors import ProofInvalid
from verification.status_map import verify_lookup, verify_value
from verification.status_map_tree import StatusMapTree


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _keys(rng: random.Random, count: int) -> list[bytes]:
    """Random ids, plus ids sharing their first 100 bits, whose paths run past one read's 48 levels."""
    shared = rng.randbytes(13)
    deep = [shared[:12] + bytes([shared[12] & 0xF0 | rng.randrange(16)]) + rng.randbytes(19) for _ in range(6)]
    return [rng.randbytes(32) for _ in range(count)] + deep


def test_stored_map_matches_the_tree_through_batches_and_updates(engine: Engine) -> None:
    rng = random.Random(7)
    keys = _keys(rng, 60)
    model = StatusMapTree()
    log_size = 0
    for batch_start in range(0, len(keys) * 2, 9):  # certificate appends, then status events on them
        batch = [
            (keys[i % len(keys)], _sha(b"%d" % i)) for i in range(batch_start, min(batch_start + 9, len(keys) * 2))
        ]
        log_size += len(batch) + 1
        with write_connection(engine) as connection:
            document = service.apply(connection, batch, log_size)
        for key, value in batch:
            model.put_hash(key, value)
        assert document.root == model.root
        assert document.entries == len(model)
        assert document.log_size == log_size
    with engine.connect() as connection:
        assert service.current_root(connection) == document
        for key in [*keys, rng.randbytes(32)]:
            root, proof = service.prove(connection, key)
            assert root == model.root
            assert proof == model.prove(key)
            assert verify_lookup(root, key, proof) == model.value_sha256(key)


def test_an_empty_batch_keeps_the_root(engine: Engine) -> None:
    with write_connection(engine) as connection:
        first = service.apply(connection, [(bytes(32), _sha(b"a"))], 1)
    with write_connection(engine) as connection:
        again = service.apply(connection, [], 2)
    assert (again.root, again.entries, again.log_size) == (first.root, 1, 2)


@pytest.mark.parametrize("edited", ["the leaf's value", "a sibling's hash"])
def test_an_edited_row_breaks_the_proof_against_the_committed_root(engine: Engine, edited: str) -> None:
    """An intruder rewrites a certificate's chain head, or a hash beside it, in the map's table: the
    served proof no longer verifies against the root the registry committed (and logged) before."""
    rng = random.Random(11)
    keys = _keys(rng, 30)
    with write_connection(engine) as connection:
        committed = service.apply(connection, [(key, _sha(b"head of " + key)) for key in keys], len(keys))
    victim = keys[3]
    with engine.connect() as connection:
        _, honest = service.prove(connection, victim)
    assert honest.leaf is not None
    verify_value(committed.root, victim, b"head of " + victim, honest)
    nodes = repository.nodes_table
    with write_connection(engine) as connection:
        if edited == "the leaf's value":
            row = nodes.c.leaf_key == victim
            connection.execute(update(nodes).where(row).values(value_sha256=_sha(b"an older head")))
        else:
            connection.execute(update(nodes).where(nodes.c.hash == honest.siblings[0]).values(hash=_sha(b"forged")))
    with engine.connect() as connection:
        _, served = service.prove(connection, victim)
    with pytest.raises(ProofInvalid):
        verify_value(committed.root, victim, b"head of " + victim, served)
    with pytest.raises(ProofInvalid):
        verify_value(committed.root, victim, b"an older head", served)
