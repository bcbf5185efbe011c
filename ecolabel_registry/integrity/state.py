"""The shared result of the integrity check, in the database so that every API process sees it.

A divergence, once recorded, stays until the operator acts: a server's periodic check only ever records
one, and only `ecolabel-registry fsck` run by the operator, finding the tables equal to the log again,
clears it (docs/DEPLOYMENT.md). While it stands, `/healthz` answers 503 and no decision is signed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from ecolabel_registry.db.models import IntegrityCheck
from ecolabel_registry.db.raw import Prebuilt
from ecolabel_registry.integrity.divergence import Divergence

table = IntegrityCheck.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
_READ = select(table.c.verified_tree_size, table.c.checked_us, table.c.divergence, table.c.diverged_us).where(
    table.c.id == 1
)
# Whether a divergence stands, on the driver's cursor: the decision paths ask it, and on SQLite a read
# through `Connection.execute` would begin a transaction their one-statement check does without.
_DIVERGED = Prebuilt(select(table.c.diverged_us).where(table.c.id == 1))


@dataclass(frozen=True)
class IntegrityState:
    verified_tree_size: int
    checked_us: int | None
    divergence: Divergence | None
    diverged_us: int | None


def read(connection: Connection) -> IntegrityState:
    row = connection.execute(_READ).mappings().first()
    if row is None:
        return IntegrityState(0, None, None, None)
    found = row["divergence"]
    return IntegrityState(
        row["verified_tree_size"], row["checked_us"], Divergence.from_dict(found) if found else None, row["diverged_us"]
    )


def diverged(connection: Connection) -> Divergence | None:
    """The recorded divergence, reading the divergence itself only when one stands (`diverged_us` set)."""
    row = _DIVERGED.first(connection)
    if row is None or row["diverged_us"] is None:
        return None
    return read(connection).divergence


def _write(connection: Connection, values: dict[str, object]) -> None:
    if connection.execute(update(table).where(table.c.id == 1).values(**values)).rowcount == 0:
        connection.execute(insert(table).values(id=1, **{"verified_tree_size": 0, **values}))


def record_clean(connection: Connection, tree_size: int, now_us: int, *, clear: bool) -> None:
    """The tables equal a replay of the first `tree_size` leaves; `clear` (the operator's run) lifts a divergence."""
    values: dict[str, object] = {"verified_tree_size": tree_size, "checked_us": now_us}
    if clear:
        values |= {"divergence": None, "diverged_us": None}
    _write(connection, values)


def record_divergence(connection: Connection, divergence: Divergence, now_us: int) -> None:
    """Keep the first divergence found until it is cleared: it names where the tampering began."""
    if read(connection).divergence is not None:
        _write(connection, {"checked_us": now_us})
        return
    _write(connection, {"checked_us": now_us, "divergence": divergence.to_dict(), "diverged_us": now_us})
