"""The rows of each public dataset at a checkpoint: the registry's own table rows, plus a few derived
columns a reader wants (current status, standing, crosswalk codes), and the documents they came from.

Only public data: programmes, categories, certificates, their status events and agreements. Nothing of
the supply chain is in a dump (docs/SECURITY.md, "Supply chain").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, or_, select

from ecolabel_registry.agreements import lookup as agreement_lookup
from ecolabel_registry.agreements.repository import agreements, parties
from ecolabel_registry.agreements.repository import events as agreement_events
from ecolabel_registry.categories.repository import categories_table, codes_table
from ecolabel_registry.certificates.lookup import lifecycle_of
from ecolabel_registry.certificates.repository import certificates, entries, events
from ecolabel_registry.programmes.repository import programmes_table
from verification.agreements import standing_on
from verification.leaf import from_microseconds, to_microseconds
from verification.status import status_as_of

DATASETS = ("programmes", "categories", "certificates", "status_events", "agreements", "documents")
PAGE = 20_000
Row = dict[str, Any]


@dataclass(frozen=True)
class Window:
    """The leaves a dump covers: [since, tree_size); a full dump starts at 0. `as_of_us` is the log time
    of the checkpoint, when current status and standing are judged."""

    since: int
    tree_size: int
    as_of_us: int

    def new(self, column: Any) -> Any:
        return (column >= self.since) & (column < self.tree_size)


@dataclass
class Collected:
    """Leaves whose documents the dump must carry, gathered while the other datasets are written."""

    leaves: set[int] = field(default_factory=set)


def rows(connection: Connection, dataset: str, window: Window, collected: Collected) -> Iterator[Row]:
    producers = {
        "programmes": _programmes,
        "categories": _categories,
        "certificates": _certificates,
        "status_events": _status_events,
        "agreements": _agreements,
        "documents": _documents,
    }
    yield from producers[dataset](connection, window, collected)


def _programmes(connection: Connection, window: Window, collected: Collected) -> Iterator[Row]:
    query = (
        select(programmes_table)
        .where(window.new(programmes_table.c.registered_leaf_index))
        .order_by(programmes_table.c.registered_leaf_index)
    )
    for row in connection.execute(query).mappings():
        collected.leaves.add(row["registered_leaf_index"])
        yield dict(row)


def _categories(connection: Connection, window: Window, collected: Collected) -> Iterator[Row]:
    codes: dict[tuple[str, str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for code in connection.execute(select(codes_table).order_by(codes_table.c.value)).mappings():
        codes[(code["programme_id"], code["code"], code["criteria_version"])][code["scheme"]].append(code["value"])
    query = (
        select(categories_table)
        .where(window.new(categories_table.c.leaf_index))
        .order_by(categories_table.c.leaf_index)
    )
    for row in connection.execute(query).mappings():
        collected.leaves.add(row["leaf_index"])
        found = codes.get((row["programme_id"], row["code"], row["criteria_version"]), {})
        yield {
            **row,
            "cpv": found.get("cpv", []),
            "cn_procurement": found.get("cn_procurement", []),
            "hs": found.get("hs", []),
        }


def _certificates(connection: Connection, window: Window, collected: Collected) -> Iterator[Row]:
    """Certificates logged in the window, or whose status changed in it, with their status at the checkpoint."""
    changed = select(events.c.certificate_id).where(window.new(events.c.leaf_index))
    condition = or_(window.new(certificates.c.leaf_index), certificates.c.id.in_(changed)) if window.since else None
    low = 0
    while low < window.tree_size:
        high = min(low + PAGE, window.tree_size)
        query = select(certificates).where(certificates.c.leaf_index >= low, certificates.c.leaf_index < high)
        if condition is not None:
            query = query.where(condition)
        page = list(connection.execute(query.order_by(certificates.c.leaf_index)).mappings())
        history = _events_of(connection, [row["id"] for row in page], window.tree_size)
        at = from_microseconds(window.as_of_us)
        for row in page:
            collected.leaves.add(row["leaf_index"])
            answer = status_as_of(lifecycle_of(row, history.get(row["id"], [])), at=at)
            yield {**row, "status": answer.status.value, "current_valid_until_us": _us(answer.valid_until)}
        low = high


def _status_events(connection: Connection, window: Window, collected: Collected) -> Iterator[Row]:
    query = select(events).where(window.new(events.c.leaf_index)).order_by(events.c.leaf_index)
    for row in connection.execute(query).mappings():
        collected.leaves.add(row["leaf_index"])
        yield dict(row)


def _agreements(connection: Connection, window: Window, collected: Collected) -> Iterator[Row]:
    """Agreements logged in the window, or signed or changed in it, with their standing at the checkpoint."""
    query = select(agreements.c.id).where(agreements.c.leaf_index < window.tree_size)
    if window.since:
        query = query.where(
            or_(
                window.new(agreements.c.leaf_index),
                agreements.c.id.in_(select(parties.c.agreement_id).where(window.new(parties.c.leaf_index))),
                agreements.c.id.in_(
                    select(agreement_events.c.agreement_id).where(window.new(agreement_events.c.leaf_index))
                ),
            )
        )
    ids = list(connection.execute(query.order_by(agreements.c.id)).scalars())
    records = {record.id: record for record in agreement_lookup.records(connection, ids)}
    party_rows = {
        agreement_id: [dict(p) for p in found]
        for agreement_id, found in _grouped(connection, parties, parties.c.agreement_id, ids, window.tree_size).items()
    }
    event_rows = _grouped(connection, agreement_events, agreement_events.c.agreement_id, ids, window.tree_size)
    at = from_microseconds(window.as_of_us)
    for row in connection.execute(
        select(agreements).where(agreements.c.id.in_(ids)).order_by(agreements.c.id)
    ).mappings():
        record = records[row["id"]]
        collected.leaves.add(row["leaf_index"])
        for party in party_rows.get(row["id"], []):
            if party["leaf_index"] is not None:
                collected.leaves.add(party["leaf_index"])
        for event in event_rows.get(row["id"], []):
            collected.leaves.add(event["leaf_index"])
        yield {
            **row,
            "standing": standing_on(record, at=at, known_at_us=window.as_of_us).standing.value,
            "parties": party_rows.get(row["id"], []),
            "events": [dict(e) for e in event_rows.get(row["id"], [])],
        }


def _documents(connection: Connection, _window: Window, collected: Collected) -> Iterator[Row]:
    """The exact logged bytes behind every row above, so each can be verified (and loaded) on its own."""
    wanted = sorted(collected.leaves)
    for low in range(0, len(wanted), 500):
        batch = wanted[low : low + 500]
        query = select(entries.c.leaf_index, entries.c.kind, entries.c.integrated_us, entries.c.document).where(
            entries.c.leaf_index.in_(batch)
        )
        for row in connection.execute(query.order_by(entries.c.leaf_index)).mappings():
            yield dict(row)


def _events_of(connection: Connection, ids: list[str], end: int) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    for low in range(0, len(ids), 500):
        query = (
            select(events)
            .where(events.c.certificate_id.in_(ids[low : low + 500]), events.c.leaf_index < end)
            .order_by(events.c.certificate_id, events.c.sequence)
        )
        for row in connection.execute(query).mappings():
            found[row["certificate_id"]].append(row)
    return found


def _grouped(connection: Connection, table: Any, key: Any, ids: list[str], end: int) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    for low in range(0, len(ids), 500):
        query = select(table).where(key.in_(ids[low : low + 500]))
        for row in connection.execute(query).mappings():
            if row["leaf_index"] is None or row["leaf_index"] < end:
                found[row[key.name]].append(row)
    return found


def _us(moment: Any) -> int:
    result: int = to_microseconds(moment)
    return result
