"""An organisation's upstream chain on a date: breadth-first, tier by tier, cycle-safe.

Each organisation gets its *shortest* tier (the first tier at which the search meets it) and one shortest
path back to the queried organisation. Every link that holds on the date and whose buyer is within
`depth - 1` tiers is kept, so diamonds and cycles are visible in `links`; a link back to an organisation
already on the path is reported in `cycles` and never followed again.

Only the supplier's confirmation opens its own chain. A link is its buyer's statement, and any
organisation may declare any other its supplier; if the search followed declared links, declaring a
victim as one's supplier would open the victim's whole upstream chain to the declarer. So the search
follows a link to the supplier's own suppliers only when the supplier confirmed it. A declared or
disputed link is still shown, as the buyer's statement it is, and its supplier appears as a *withheld*
node (`upstream_withheld`) carrying the supplier's public identity only:

- shown: its registry id, names, country and registered identifiers (LEI, USCC, GLN, DUNS, VAT, OS ID
  are published by public registers: they say who the organisation is, nothing of whom it deals with,
  and the buyer already named it by one of them or by its id);
- withheld: its links (hence its suppliers, their identifiers, volumes and shares), its facilities and
  products, also when the buyer's declaration names one (the link keeps the GTIN the buyer stated), and
  its certificates. Certificates are public, but listing them here would state that the supplier's
  certification covers this chain, which only its confirmation can establish: the node is `unknown` and
  so is the link's coverage, and unknown is never counted as compliant. Its certificates remain a public
  lookup away by the identifiers shown (`GET /v1/certificates?holder=`).

An organisation met through a declared link and also through confirmed ones is not withheld: it is on the
chain by the confirmed path. A link's state is judged as it stands when the chain is read, whatever date
the chain is read for (as grants are, see `auth`): a supplier's dispute withdraws what its confirmation
opened, for past dates too. The same boundary holds for registered products and facilities named on any
link: their names and details show only when their registrant is *disclosed* (the queried organisation,
or an organisation reached through confirmed links).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, RowMapping

from ecolabel_registry.errors import NotFound, ValidationFailed
from ecolabel_registry.supply import auth, graph, repository
from ecolabel_registry.supply.answers import Cycle, SupplyChain
from ecolabel_registry.supply.certification import CertificateOnDate, Certification, Coverage, coverage_on
from ecolabel_registry.supply.graph import Link
from verification.leaf import format_log_time

MAX_CYCLES_REPORTED = 100


@dataclass
class ChainData:
    """Everything a chain answer, an audit or an export is computed from (one date, one root)."""

    root: str
    at_us: int
    depth: int
    tiers: dict[str, int]  # organisation -> shortest tier; the root is 0
    parent: dict[str, Link]  # organisation -> the link through which the search first reached it
    links: list[Link]
    truncated: bool
    organisations: dict[str, RowMapping] = field(default_factory=dict)
    identifiers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    coverage: Coverage = field(default_factory=lambda: Coverage({}, {}))
    facilities: dict[str, RowMapping] = field(default_factory=dict)
    products: dict[str, RowMapping] = field(default_factory=dict)
    certified: dict[str, Certification] = field(default_factory=dict)
    withheld: set[str] = field(default_factory=set)  # reached only through links their supplier did not confirm

    def disclosed(self, organisation_id: str) -> bool:
        """On the chain with its own records: the root, or reached through links its supplier confirmed."""
        return organisation_id in self.tiers and organisation_id not in self.withheld

    def certification(self, organisation_id: str) -> Certification:
        found = self.certified.get(organisation_id)
        if found is None:  # asked once per node and once per link: remembered
            if organisation_id in self.withheld:
                found = Certification.UNKNOWN  # its certificates were never looked up for this chain
            else:
                found = self.coverage.of_organisation(organisation_id, bool(self.identifiers.get(organisation_id)))
            self.certified[organisation_id] = found
        return found

    def link_coverage(self, link: Link) -> Certification:
        """An unconfirmed link covers nothing: the registry cannot say the supplier supplies it."""
        if not link.confirmed:
            return Certification.UNKNOWN
        return self.coverage.of_link(link.gtin, self.certification(link.supplier_id))

    def path(self, organisation_id: str) -> list[str]:
        path = [organisation_id]
        while path[-1] in self.parent:
            path.append(self.parent[path[-1]].buyer_id)
        return path[::-1]

    def link_tier(self, link: Link) -> int:
        return self.tiers[link.buyer_id] + 1


def walk(connection: Connection, root: str, at_us: int, depth: int) -> ChainData:
    """The bounded breadth-first search: one query per tier, each disclosed organisation expanded once,
    and only through links its supplier confirmed; the other suppliers met are kept, unexpanded, as
    withheld nodes (see the module's docstring)."""
    tiers = {root: 0}
    parent: dict[str, Link] = {}
    met: dict[str, tuple[int, Link]] = {}  # suppliers met through unconfirmed links: first tier and link
    kept: list[Link] = []
    frontier = [root]
    for tier in range(1, depth + 1):
        if not frontier:
            break
        # Sorted so that ties between equally short paths are broken the same way on every backend.
        found = sorted(graph.links_bought_by(connection, frontier, at_us), key=lambda row: (row.buyer_id, row.id))
        frontier = []
        for link in found:
            kept.append(link)
            supplier = link.supplier_id
            if supplier in tiers:
                continue
            if link.confirmed:
                tiers[supplier] = tier
                parent[supplier] = link
                frontier.append(supplier)
            elif supplier not in met:
                met[supplier] = (tier, link)
    truncated = bool(frontier) and graph.any_bought_by(connection, frontier, at_us)
    withheld = {supplier: first for supplier, first in met.items() if supplier not in tiers}
    for supplier, (tier, link) in withheld.items():
        tiers[supplier] = tier
        parent[supplier] = link
    return ChainData(root, at_us, depth, tiers, parent, kept, truncated, withheld=set(withheld))


def load(connection: Connection, root: str, at_us: int, depth: int) -> ChainData:
    """`walk`, then the organisations and their identifiers; the certificates, on the date, of disclosed
    organisations and of products on confirmed links; and the facilities and products that disclosed
    organisations registered (what a withheld supplier registered is never read into the answer)."""
    data = walk(connection, root, at_us, depth)
    data.organisations, data.identifiers = repository.organisations_with_identifiers(connection, data.tiers)
    disclosed = {o: held for o, held in data.identifiers.items() if o not in data.withheld}
    covered_gtins = {link.gtin for link in data.links if link.gtin is not None and link.confirmed}
    data.coverage = coverage_on(connection, disclosed, covered_gtins, at_us)
    facilities = repository.facilities_by_id(
        connection, {link.supplier_facility_id for link in data.links if link.supplier_facility_id}
    )
    data.facilities = {key: row for key, row in facilities.items() if data.disclosed(row["organisation_id"])}
    products = repository.products_by_gtin(connection, {link.gtin for link in data.links if link.gtin is not None})
    data.products = {gtin: row for gtin, row in products.items() if data.disclosed(row["organisation_id"])}
    return data


def cycles(data: ChainData) -> list[Cycle]:
    """Back edges of a depth-first search over the kept links (buyer -> supplier), as cycles."""
    upstream: dict[str, list[Link]] = {}
    for link in data.links:
        upstream.setdefault(link.buyer_id, []).append(link)
    found: list[Cycle] = []
    on_path: dict[str, int] = {data.root: 0}
    path = [data.root]
    done: set[str] = set()
    stack = [iter(upstream.get(data.root, ()))]
    while stack and len(found) < MAX_CYCLES_REPORTED:
        step = next(stack[-1], None)
        if step is None:  # every supplier of the node on top of the path has been explored
            stack.pop()
            finished = path.pop()
            del on_path[finished]
            done.add(finished)
            continue
        supplier = step.supplier_id
        if supplier in on_path:
            found.append(Cycle(organisations=[*path[on_path[supplier] :], supplier], closing_link=step.id))
        elif supplier not in done:
            on_path[supplier] = len(path)
            path.append(supplier)
            stack.append(iter(upstream.get(supplier, ())))
    return found


def answer(data: ChainData) -> SupplyChain:
    """The answer as its model (for exports): `answer_dict`, validated in one pass of pydantic-core."""
    return SupplyChain.model_validate(answer_dict(data))


def answer_dict(data: ChainData) -> dict[str, Any]:
    """The answer as plain JSON-ready data in the shape of `SupplyChain`: what the endpoint encodes with
    orjson. Building hundreds of models one by one, or even validating the whole answer once, costs more
    than the queries behind it (measured with benchmarks/supply_chain.py); the rows come from the
    registry's own tables and were validated when written, and a test holds this shape to the model."""
    when = lru_cache(maxsize=None)(format_log_time)  # validity dates repeat across links
    certificates = {
        c.id: _certificate_dict(c, when)
        for held in (*data.coverage.by_organisation.values(), *data.coverage.by_gtin.values())
        for c in held
    }
    facilities = {
        key: {"id": row["id"], "name": row["name"], "country": row["country"], "gln": row["gln"]}
        for key, row in data.facilities.items()
    }
    products: dict[str, dict[str, Any]] = {}
    for gtin in {link.gtin for link in data.links if link.gtin}:
        row = data.products.get(gtin)
        products[gtin] = {"gtin": gtin, "name": row["name"] if row else None, "model": row["model"] if row else None}
    return {
        "organisation_id": data.root,
        "as_of": format_log_time(data.at_us),
        "depth": data.depth,
        "truncated": data.truncated,
        "nodes": [_node(data, org, certificates) for org in sorted(data.tiers, key=lambda org: (data.tiers[org], org))],
        "links": [
            _link(data, link, facilities=facilities, products=products, certificates=certificates, when=when)
            for link in data.links
        ],
        "cycles": [cycle.model_dump() for cycle in cycles(data)],
    }


def supply_chain(
    connection: Connection, principal: auth.Principal, organisation_id: str, *, at_us: int, depth: int, now_us: int
) -> dict[str, Any]:
    """The chain answer (`answer_dict`) for a caller who may read it."""
    return answer_dict(load_for(connection, principal, organisation_id, at_us=at_us, depth=depth, now_us=now_us))


def load_for(
    connection: Connection,
    principal: auth.Principal,
    organisation_id: str,
    *,
    at_us: int,
    depth: int,
    now_us: int,
) -> ChainData:
    """`load` for a caller who may read the chain (checked before anything else is read)."""
    auth.require_chain_reader(connection, principal, organisation_id, now_us)
    if depth < 1:
        raise ValidationFailed("depth must be at least 1", code="BAD_DEPTH")
    data = load(connection, organisation_id, at_us, depth)
    if organisation_id not in data.organisations:  # an unknown root has no links: nothing else was read
        raise NotFound(f"no organisation {organisation_id}")
    return data


def _certificate_dict(certificate: CertificateOnDate, when: Callable[[int], str]) -> dict[str, Any]:
    return {
        "id": certificate.id,
        "programme_id": certificate.programme_id,
        "licence_number": certificate.licence_number,
        "category_code": certificate.category_code,
        "status": certificate.status,
        "valid_until": when(certificate.valid_until_us),
        "superseded_by": certificate.superseded_by,
    }


def _node(data: ChainData, organisation_id: str, certificates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    row = data.organisations[organisation_id]
    return {
        "organisation_id": organisation_id,
        "names": row["names"],
        "country": row["country"],
        "identifiers": [{"scheme": s, "value": v} for s, v in data.identifiers.get(organisation_id, [])],
        "tier": data.tiers[organisation_id],
        "path": data.path(organisation_id),
        "certification": data.certification(organisation_id),
        "certificates": [certificates[c.id] for c in data.coverage.by_organisation.get(organisation_id, [])],
        "upstream_withheld": organisation_id in data.withheld,
    }


def _link(
    data: ChainData,
    link: Link,
    *,
    facilities: dict[str, dict[str, Any]],
    products: dict[str, dict[str, Any]],
    certificates: dict[str, dict[str, Any]],
    when: Callable[[int], str],
) -> dict[str, Any]:
    return {
        "id": link.id,
        "supplier_id": link.supplier_id,
        "buyer_id": link.buyer_id,
        "tier": data.link_tier(link),
        "supplier_facility": facilities.get(link.supplier_facility_id) if link.supplier_facility_id else None,
        "product": products.get(link.gtin) if link.gtin else None,
        "material": link.material,
        "share": link.share,
        "volume": link.volume,
        "unit": link.unit,
        "valid_from": when(link.valid_from_us),
        "valid_to": when(link.valid_to_us) if link.valid_to_us is not None else None,
        "state": link.state,
        "coverage": data.link_coverage(link),
        "product_certificates": [certificates[c.id] for c in data.coverage.by_gtin.get(link.gtin, [])]
        if link.gtin and link.confirmed
        else [],
        "evidence_count": link.evidence_count,
    }
