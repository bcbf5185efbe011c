"""A recognition answer's one read on PostgreSQL, shared by the requests that wait for it (`db.coalesce`).

An answer about a programme reads the checkpoint (`compiled.current`); one about a certificate reads it
with its status events, key, key head and checkpoint in one statement (`service.read_certificate`).
Either is a snapshot's worth of reading in one statement, and the graph is taken only if it was confirmed
at the checkpoint read. Here the requests of one process that arrive while no read runs share one
thread hop and at most one statement per kind: `WHERE id = ANY(...)` for all the certificates (each row
is the one its single read gives), and the checkpoint row once for all programme questions, taken from
the certificates' statement when it found any (it reads that row with each). Each answer still relies
on exactly one statement, so it names the checkpoint its data was read at, as before.

`read_ahead` gives what `service.read_certificate` or `compiled.current` would have given, or None when
they would have gone on to a read snapshot (status events that disagree with the event count, an unknown
certificate, a graph not yet confirmed at this checkpoint): the caller then answers in a thread, the usual way.
"""

from __future__ import annotations

import asyncio
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

from ecolabel_registry.certificates import at_head
from ecolabel_registry.db.coalesce import Coalescer
from ecolabel_registry.db.engine import single_statements
from ecolabel_registry.recognition import compiled, service

# What one statement read: the certificate (None for a programme question), the graph confirmed at the
# checkpoint it read, and that checkpoint (`service.judged_at`'s form).
Read = tuple[at_head.AtHead | None, compiled.Compiled, dict[str, Any]]
_Found = at_head.AtHead | tuple[int, bytes] | None  # a certificate (None: absent), or the checkpoint (key None)


async def read_ahead(engine: Engine, certificate_id: str | None) -> Read | None:
    """The read for a question about this certificate (None: about a programme), shared with the
    questions that arrived with it; None when the answer needs a read snapshot."""
    found = await _coalescer(engine).get(certificate_id)
    if isinstance(found, at_head.AtHead):
        subject, tree_size, root_hash = found, found.tree_size, found.root_hash
        if found.events is None:  # its events disagree with its event count: a read snapshot decides
            return None
    elif found is None:
        return None
    else:
        subject, (tree_size, root_hash) = None, found
    confirmed = compiled.confirmed_at(engine, tree_size, root_hash)
    return None if confirmed is None else (subject, *confirmed)


async def certificate_at_head(engine: Engine, certificate_id: str) -> at_head.AtHead | None:
    """`at_head.read` of this certificate, by the read the questions waiting with it share (None: absent).
    The single verification's read on PostgreSQL (`api.verify`): the same statement's row."""
    found = await _coalescer(engine).get(certificate_id)
    return found if isinstance(found, at_head.AtHead) else None


def certificate(read: Read | None) -> service.CertificateRead | None:
    """The certificate a read made ahead holds, as `service.read_certificate` gives it (with its status
    events, read in the same statement), or None: no read, or a read for a programme question."""
    if read is None or read[0] is None:
        return None
    found = read[0]
    if found.events is None:  # `read_ahead` gives no read whose events disagree with its event count
        raise ValueError(f"certificate {found.row['id']} was read ahead without its status events")
    return service.CertificateRead(found, found.events, read[1], read[2])


def _fetch(engine: Engine, keys: list[str | None]) -> dict[str | None, _Found]:
    """One statement for the certificates, one for the checkpoint; each key's value comes from one.

    The certificates' statement reads the checkpoint row with each of them (one snapshot, so one
    checkpoint): when it found any, the programme questions take that checkpoint, and the statement that
    reads it alone is not sent. It started after each of them arrived, as that statement would have."""
    ids = [key for key in keys if key is not None]
    found: dict[str | None, _Found] = {}
    with single_statements(engine) as connection:
        if ids:
            rows = at_head.read_many(connection, ids)
            found.update({key: rows.get(key) for key in ids})
        if None in keys:
            read = next(iter(rows.values()), None) if ids else None
            found[None] = compiled.read_checkpoint(connection) if read is None else (read.tree_size, read.root_hash)
    return found


def _coalescer(engine: Engine) -> Coalescer[str | None, _Found]:
    loop = asyncio.get_running_loop()
    per_engine = _coalescers.get(loop)
    if per_engine is None:
        per_engine = _coalescers[loop] = WeakKeyDictionary()
    found = per_engine.get(engine)
    if found is None:
        found = per_engine[engine] = Coalescer(lambda keys: _fetch(engine, keys))
    return found


# Per event loop (a coalescer's futures belong to one), then per engine; touched only on that loop.
_coalescers: WeakKeyDictionary[asyncio.AbstractEventLoop, WeakKeyDictionary[Engine, Coalescer[str | None, _Found]]]
_coalescers = WeakKeyDictionary()
