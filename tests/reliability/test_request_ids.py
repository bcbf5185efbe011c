"""A fresh request id is a random UUID's 32 hex digits, never repeated, not even by a forked child."""

from __future__ import annotations

import os
import uuid

from ecolabel_registry.observability.middleware import fresh_id


def _is_uuid4_hex(text: str) -> bool:
    parsed = uuid.UUID(hex=text)
    return parsed.hex == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_fresh_ids_are_version_4_uuids_as_uuid4_writes_them_and_all_differ() -> None:
    ids = [fresh_id() for _ in range(1000)]  # several reads of random bytes from the kernel
    assert all(_is_uuid4_hex(each) for each in ids)
    assert all(len(each) == len(uuid.uuid4().hex) for each in ids)
    assert len(set(ids)) == len(ids)


def test_a_forked_child_takes_none_of_its_parents_unused_ids() -> None:
    fresh_id()  # the parent holds unused ids when it forks
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover  # the child reports its next ids and leaves at once
        os.close(reading)
        os.write(writing, "".join(fresh_id() for _ in range(4)).encode("ascii"))
        os._exit(0)
    os.close(writing)
    with os.fdopen(reading, "rb") as pipe:
        written = pipe.read().decode("ascii")
    os.waitpid(child, 0)
    childs = {written[start : start + 32] for start in range(0, len(written), 32)}
    parents = {fresh_id() for _ in range(4)}
    assert len(childs) == 4
    assert not childs & parents
