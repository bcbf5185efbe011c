"""Bring the statistics up to the log's head: only what the log added since the last refresh is read.

Safe with several processes: the refresh claims the new checkpoint with a compare-and-set on the state
row (`repository.claim`) before it writes anything, in the same transaction as its writes, so two
processes never apply the same leaves twice and a reader sees either the old checkpoint's figures or the
new one's, never a mix. Deterministic: the changes for leaves [old, new) are read from rows whose leaf
index is below `new`, which never change once written, so a retried refresh writes the same figures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Engine, RowMapping

from ecolabel_registry.certificates.lookup import lifecycle_of
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.log.repository import read_head
from ecolabel_registry.statistics import repository
from ecolabel_registry.statistics.repository import Key, State
from ecolabel_registry.statistics.timeline import add_changes, keys_of, month_of_day, transitions

PAGE = 20_000  # leaves read per query during a refresh


def refresh(engine: Engine) -> State:
    """Refresh when the log has grown; the state the figures now reflect."""
    with engine.connect() as connection:
        seen = repository.read_state(connection)
        head = read_head(connection)
    if head.tree_size <= seen.tree_size:
        return seen
    with write_connection(engine) as connection:
        seen = repository.read_state(connection)
        head = read_head(connection)
        if head.tree_size <= seen.tree_size or not repository.claim(
            connection, seen, head.tree_size, head.root_hash, head.last_integrated_us
        ):
            return repository.read_state(connection)
        apply(connection, changes_between(connection, seen.tree_size, head.tree_size), seen.horizon_year)
        return repository.read_state(connection)


def changes_between(connection: Connection, start: int, end: int) -> Counter[tuple[str, str, str, int]]:
    """The count changes that the leaves [start, end) make: new certificates, and new status events."""
    changes: Counter[tuple[str, str, str, int]] = Counter()
    for page in repository.certificates_logged(connection, start, end, PAGE):
        _add(changes, connection, page, start, end, new=True)
    _add(changes, connection, repository.certificates_changed(connection, start, end), start, end, new=False)
    return changes


def _add(
    changes: Counter[tuple[str, str, str, int]],
    connection: Connection,
    rows: Sequence[RowMapping],
    start: int,
    end: int,
    *,
    new: bool,
) -> None:
    if not rows:
        return
    history = repository.events_before(connection, [row["id"] for row in rows], end)
    for row in rows:
        chain = history.get(row["id"], [])
        after = transitions(lifecycle_of(row, chain))
        before = [] if new else transitions(lifecycle_of(row, [e for e in chain if e["leaf_index"] < start]))
        keys = keys_of(row["programme_id"], row["category_code"], row["criteria_version"], row["holder_country"])
        add_changes(changes, keys, before, after)


def apply(connection: Connection, changes: Counter[tuple[str, str, str, int]], horizon: int) -> None:
    """Write `changes` as daily and monthly net changes and dense yearly totals, extending the horizon."""
    changes = Counter({key: n for key, n in changes.items() if n})
    if not changes:
        return
    repository.add_changes(connection, repository.daily, "day", changes)
    monthly: Counter[tuple[str, str, str, int]] = Counter()
    by_key: dict[Key, Counter[int]] = defaultdict(Counter)
    for (dimension, value, status, day), n in changes.items():
        month = month_of_day(day)
        monthly[(dimension, value, status, month)] += n
        by_key[(dimension, value, status)][month // 12] += n
    repository.add_changes(connection, repository.monthly, "month", monthly)
    new_horizon = max(horizon, *(year for years in by_key.values() for year in years))
    repository.extend_horizon(connection, horizon, new_horizon)
    repository.set_horizon(connection, new_horizon)
    pairs = {(dimension, value) for dimension, value, _ in by_key}
    current = repository.yearly_of(connection, pairs)
    repository.replace_yearly(connection, pairs, _merged(current, by_key, new_horizon))


def _merged(
    current: dict[Key, dict[int, int]], by_key: dict[Key, Counter[int]], horizon: int
) -> dict[Key, dict[int, int]]:
    """Dense totals from each key's first year to the horizon: the old totals plus the running changes."""
    merged: dict[Key, dict[int, int]] = {}
    for key in set(current) | set(by_key):
        old, added = current.get(key, {}), by_key.get(key, Counter())
        first = min(_keys(old, added))
        running, totals = 0, {}
        for year in range(first, horizon + 1):
            running += added.get(year, 0)
            totals[year] = old.get(year, 0) + running
        merged[key] = totals
    return merged


def _keys(*mappings: Iterable[int]) -> list[int]:
    return [year for mapping in mappings for year in mapping]
