"""Supply-chain data in open data: only as country-pair aggregates over enough organisations.

Supply links are commercially sensitive (DESIGN "Supply chain"): who supplies whom is readable only by
the organisation, the auditors it grants access to, and the operator. Open data therefore publishes one
figure, and only under these rules (docs/SECURITY.md, "Supply chain"):

* the count of **confirmed** supply links in force on the first day of a month (links whose supplier
  confirmed them, as the chain views count them), grouped by (supplier country, buyer country) only;
* a cell is published only when at least `MINIMUM_GROUP` distinct buyers, `MINIMUM_GROUP` distinct
  suppliers and `MINIMUM_GROUP` links make it up; smaller cells are left out entirely (not even listed
  as suppressed), so that one organisation's links are never a figure of their own;
* no totals, no margins and no other grouping, so that no published figure minus others recovers a
  suppressed cell (differencing across groupings); and months, not days, so that differencing across
  dates sees at most one change a month among at least five buyers and five suppliers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, func, select

from ecolabel_registry.statistics.repository import State
from ecolabel_registry.statistics.schemas import SupplyPairFigure
from ecolabel_registry.supply.link_repository import events as link_events
from ecolabel_registry.supply.link_repository import links
from ecolabel_registry.supply.repository import organisations
from verification.leaf import to_microseconds

MINIMUM_GROUP = 5
CONFIRMED = "confirmed"


@dataclass(frozen=True)
class LinkFact:
    buyer: str
    buyer_country: str
    supplier: str
    supplier_country: str


def country_pairs(facts: Iterable[LinkFact], minimum: int = MINIMUM_GROUP) -> list[SupplyPairFigure]:
    """The published cells: (supplier country, buyer country) with enough buyers, suppliers and links."""
    cells: dict[tuple[str, str], list[LinkFact]] = defaultdict(list)
    for fact in facts:
        cells[(fact.supplier_country, fact.buyer_country)].append(fact)
    published = []
    for (supplier_country, buyer_country), found in sorted(cells.items()):
        buyers, suppliers = {f.buyer for f in found}, {f.supplier for f in found}
        if min(len(found), len(buyers), len(suppliers)) >= minimum:
            published.append(
                SupplyPairFigure(supplier_country=supplier_country, buyer_country=buyer_country, links=len(found))
            )
    return published


def confirmed_links(connection: Connection, state: State, on: date) -> list[LinkFact]:
    """Links logged by the checkpoint, in force on `on` (00:00 UTC), whose last event by then confirms them."""
    moment = to_microseconds(_midnight(on))
    last = (
        select(link_events.c.link_id, func.max(link_events.c.sequence).label("sequence"))
        .where(link_events.c.leaf_index < state.tree_size)
        .group_by(link_events.c.link_id)
        .subquery()
    )
    buyer, supplier = organisations.alias("buyer"), organisations.alias("supplier")
    query = (
        select(links.c.buyer_id, buyer.c.country, links.c.supplier_id, supplier.c.country)
        .join(last, last.c.link_id == links.c.id)
        .join(link_events, (link_events.c.link_id == last.c.link_id) & (link_events.c.sequence == last.c.sequence))
        .join(buyer, buyer.c.id == links.c.buyer_id)
        .join(supplier, supplier.c.id == links.c.supplier_id)
        .where(
            links.c.leaf_index < state.tree_size,
            link_events.c.action == CONFIRMED,
            links.c.valid_from_us <= moment,
            (links.c.valid_to_us.is_(None)) | (links.c.valid_to_us > moment),
        )
    )
    return [LinkFact(*row) for row in connection.execute(query)]


def _midnight(on: date) -> datetime:
    return datetime.combine(on, datetime.min.time(), tzinfo=UTC)
