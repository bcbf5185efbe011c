"""The graph queries of the supply chain, in Core: the hot path of every chain, audit and impact answer.

Traversal is a bounded breadth-first search, one indexed query per tier (`links_bought_by`), with the
visited set kept in Python: each organisation is expanded once, whatever the cycles and diamonds. A
recursive CTE must instead re-expand an organisation once per depth at which it is reached (UNION only
drops repeated (organisation, depth) rows) or carry whole paths to stay cycle-safe. `reachable_upstream`
is that CTE, kept as the benchmark's floor and as a cross-check in tests. Measured on 100,000
organisations and 300,000 links (`benchmarks/supply_chain.py`, full depth, 630-organisation chains with
cycles): the search takes 5 ms on SQLite against 52 ms for the CTE, 8 ms on PostgreSQL against 13 ms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, NamedTuple, cast

from sqlalchemy import BigInteger, Connection, Row, any_, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY

from ecolabel_registry.certificates.repository import certificates, holder_ids, products
from ecolabel_registry.db.lists import among, batches
from ecolabel_registry.supply.link_repository import links
from ecolabel_registry.supply.outputs import LinkState
from ecolabel_registry.supply.repository import identifiers

LINK_COLUMNS = (
    links.c.id,
    links.c.buyer_id,
    links.c.supplier_id,
    links.c.supplier_facility_id,
    links.c.gtin,
    links.c.material,
    links.c.share,
    links.c.volume,
    links.c.unit,
    links.c.valid_from_us,
    links.c.valid_to_us,
    links.c.state,
    links.c.evidence_count,
)  # not the evidence itself: answers give its count, GET /v1/supply-links/{id} and the bundle the references
CERTIFICATE_COLUMNS = (
    certificates.c.id,
    certificates.c.programme_id,
    certificates.c.licence_number,
    certificates.c.category_code,
    certificates.c.holder_name,
    certificates.c.valid_from_us,
    certificates.c.valid_until_us,
    certificates.c.superseded_by,
    # what `verification.standing` judges besides: the credential (by leaf), its key and its status chain
    certificates.c.criteria_version,
    certificates.c.signing_kid,
    certificates.c.integrated_us,
    certificates.c.leaf_index,
    certificates.c.event_count,
)


class Link(NamedTuple):
    """A link as the graph queries return it: a plain tuple, because the chain answer reads a dozen fields
    of a thousand links and attribute access on a SQLAlchemy Row costs several times more (measured)."""

    id: str
    buyer_id: str
    supplier_id: str
    supplier_facility_id: str | None
    gtin: str | None
    material: str | None
    share: float | None
    volume: float | None
    unit: str | None
    valid_from_us: int
    valid_to_us: int | None
    state: str
    evidence_count: int

    @property
    def confirmed(self) -> bool:
        """Whether the supplier confirmed the link: only then do chain views follow it to the supplier's own
        suppliers, and only then can it count as covered (see `chain`)."""
        return self.state == LinkState.CONFIRMED.value


def holds(at_us: int) -> Any:
    """valid_from <= at < valid_to: valid_from inclusive, valid_to exclusive (see `timeline`)."""
    return (links.c.valid_from_us <= at_us) & (links.c.valid_to_us.is_(None) | (links.c.valid_to_us > at_us))


@cache
def _links_of(column: str, postgres: bool, only_one: bool = False) -> Any:
    """Links whose `column` is among :ids and that hold at :at, built once per shape: a traversal runs it
    once per tier, and building and caching a fresh statement each time cost more than running it
    (measured). An array parameter on PostgreSQL, an expanding IN list elsewhere (see `among`)."""
    target = links.c[column]
    member = (
        target == any_(bindparam("ids", type_=ARRAY(target.type)))
        if postgres
        else target.in_(bindparam("ids", expanding=True))
    )
    at = bindparam("at", type_=BigInteger)
    holding = (links.c.valid_from_us <= at) & (links.c.valid_to_us.is_(None) | (links.c.valid_to_us > at))
    if only_one:
        return select(links.c.id).where(member, holding).limit(1)
    return select(*LINK_COLUMNS).where(member, holding)


def _select_links(connection: Connection, column: str, ids: Iterable[str], at_us: int) -> list[Link]:
    query = _links_of(column, connection.dialect.name == "postgresql")
    found: list[Link] = []
    for batch in batches(connection, ids):
        found.extend(Link(*row) for row in connection.execute(query, {"ids": batch, "at": at_us}))
    return found


def links_bought_by(connection: Connection, buyer_ids: Iterable[str], at_us: int) -> list[Link]:
    return _select_links(connection, "buyer_id", buyer_ids, at_us)


def links_sold_by(connection: Connection, supplier_ids: Iterable[str], at_us: int) -> list[Link]:
    return _select_links(connection, "supplier_id", supplier_ids, at_us)


def links_for_products(connection: Connection, gtins: Iterable[str], at_us: int) -> list[Link]:
    return _select_links(connection, "gtin", gtins, at_us)


def any_bought_by(connection: Connection, buyer_ids: Iterable[str], at_us: int) -> bool:
    query = _links_of("buyer_id", connection.dialect.name == "postgresql", only_one=True)
    return any(
        connection.execute(query, {"ids": batch, "at": at_us}).first() is not None
        for batch in batches(connection, buyer_ids)
    )


def reachable_upstream(connection: Connection, root: str, at_us: int, max_depth: int) -> dict[str, int]:
    """organisation -> shortest tier of the organisations a chain discloses (reached through confirmed
    links), by one recursive CTE (ids only, no statuses): the benchmark's floor and a cross-check.

    UNION (not UNION ALL) drops repeated (organisation, depth) rows, and the depth bound ends cycles.
    """
    reach = select(literal(root).label("org"), literal(0).label("depth")).cte("reach", recursive=True)
    step = (
        select(links.c.supplier_id, reach.c.depth + 1)
        .join(reach, links.c.buyer_id == reach.c.org)
        .where(reach.c.depth < max_depth, holds(at_us), links.c.state == LinkState.CONFIRMED.value)
    )
    reach = reach.union(step)
    query = select(reach.c.org, func.min(reach.c.depth)).group_by(reach.c.org)
    return {org: depth for org, depth in connection.execute(query).all()}  # noqa: C416  (rows, not pairs, to mypy)


def certificates_of_holder_values(connection: Connection, values: Iterable[str]) -> list[Row[Any]]:
    """(scheme, value, certificate columns…) for every certificate whose holder carries one of these
    identifier values. By value, through the certificate side's (value, scheme) index: the chain already
    knows its organisations' identifiers, and joining organisation_identifiers here let PostgreSQL scan
    that whole table for a few hundred organisations (measured at 100,000)."""
    found: list[Row[Any]] = []
    for batch in batches(connection, values):
        query = (
            select(holder_ids.c.scheme, holder_ids.c.value, *CERTIFICATE_COLUMNS)
            .join(certificates, certificates.c.id == holder_ids.c.certificate_id)
            .where(among(connection, holder_ids.c.value, batch))
        )
        found.extend(connection.execute(query))
    return found


def certificates_of_products(connection: Connection, gtins: Iterable[str]) -> list[Row[Any]]:
    """(gtin, certificate columns…) for every certificate that lists one of these GTINs among its products."""
    found: list[Row[Any]] = []
    for batch in batches(connection, gtins):
        query = (
            select(products.c.gtin, *CERTIFICATE_COLUMNS)
            .join(certificates, certificates.c.id == products.c.certificate_id)
            .where(among(connection, products.c.gtin, batch))
        )
        found.extend(connection.execute(query))
    return found


def holders_of(connection: Connection, certificate_id: str) -> set[str]:
    """The organisations whose identifiers appear among the certificate's holder identifiers."""
    query = (
        select(identifiers.c.organisation_id)
        .join(
            holder_ids,
            (holder_ids.c.scheme == identifiers.c.scheme) & (holder_ids.c.value == identifiers.c.value),
        )
        .where(holder_ids.c.certificate_id == certificate_id)
    )
    return set(connection.execute(query).scalars())


def gtins_of(connection: Connection, certificate_id: str) -> set[str]:
    query = select(products.c.gtin).where(products.c.certificate_id == certificate_id, products.c.gtin.is_not(None))
    return set(connection.execute(query).scalars())


def certificate(connection: Connection, certificate_id: str) -> Row[Any] | None:
    found = connection.execute(select(*CERTIFICATE_COLUMNS).where(certificates.c.id == certificate_id)).first()
    return cast("Row[Any] | None", found)  # the same row shape as the other certificate queries


def unique(rows: Sequence[Row[Any]]) -> list[Row[Any]]:
    """Rows without repeats (a link found through two batches, a certificate through two identifiers)."""
    seen: set[tuple[Any, ...]] = set()
    kept: list[Row[Any]] = []
    for row in rows:
        key = tuple(row[:2])
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept
