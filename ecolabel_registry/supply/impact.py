"""Downstream impact of a certificate on a date: which buyers, and through which links, depend on it.

The certificate directly covers the links it certifies under the same rule as coverage in a chain: links
for a product it lists (by GTIN), and material links from an organisation that holds it, in both cases
only links their supplier confirmed (an unconfirmed link covers nothing). From their buyers the search
follows confirmed links downstream (breadth-first, each organisation once, so cycles end): exactly the
links an affected organisation's own chain follows upstream (`chain`), so a declaration naming someone as
one's supplier never makes the declarer "depend" on that supplier's suppliers.

Access. The certificate is public, but who buys from whom is not. The operator sees every affected
organisation. Anyone else with `supply:read` sees only the affected organisations whose chains it may
read (itself, and those that granted it audit access) with the path that reaches each: every link on
that path lies in the listed organisation's own upstream chain, so nothing outside what the caller could
already read is revealed. Another organisation's token gets an answer with nothing of that chain in it.
"""

from __future__ import annotations

from sqlalchemy import Connection

from ecolabel_registry.errors import NotFound
from ecolabel_registry.supply import auth, graph, repository
from ecolabel_registry.supply.answers import Impact, ImpactedOrganisation
from ecolabel_registry.supply.certification import statuses
from ecolabel_registry.supply.graph import Link
from verification.leaf import format_log_time


def impact(
    connection: Connection, principal: auth.Principal, certificate_id: str, *, at_us: int, max_depth: int, now_us: int
) -> Impact:
    roots = auth.readable_roots(connection, principal, now_us)
    row = graph.certificate(connection, certificate_id)
    if row is None:
        raise NotFound(f"no certificate {certificate_id}")
    status = statuses(connection, {certificate_id: row}, at_us)[certificate_id].status
    holders = graph.holders_of(connection, certificate_id)
    gtins = graph.gtins_of(connection, certificate_id)
    direct = [link for link in graph.links_sold_by(connection, holders, at_us) if link.gtin is None and link.confirmed]
    seen = {link.id for link in direct}
    direct += [
        link for link in graph.links_for_products(connection, gtins, at_us) if link.confirmed and link.id not in seen
    ]
    distance, parent = _downstream(connection, sorted(direct, key=lambda link: link.id), at_us, max_depth)
    listed = sorted(o for o in distance if roots is None or o in roots)
    names = repository.organisations_by_id(connection, listed)
    affected = []
    for organisation_id in sorted(listed, key=lambda o: (distance[o], o)):
        path, path_links = _path(organisation_id, distance, parent)
        affected.append(
            ImpactedOrganisation(
                organisation_id=organisation_id,
                names=names[organisation_id]["names"],
                distance=distance[organisation_id],
                path=path,
                links=path_links,
            )
        )
    shown = {a.links[0] for a in affected}
    return Impact(
        certificate_id=certificate_id,
        status=status,
        as_of=format_log_time(at_us),
        restricted=roots is not None,
        gtins=sorted(gtins),
        directly_covered_links=sorted(link.id for link in direct if roots is None or link.id in shown),
        affected=affected,
    )


def _downstream(
    connection: Connection, direct: list[Link], at_us: int, max_depth: int
) -> tuple[dict[str, int], dict[str, Link]]:
    distance: dict[str, int] = {}
    parent: dict[str, Link] = {}
    frontier: list[str] = []
    for link in direct:
        if link.buyer_id not in distance:
            distance[link.buyer_id], parent[link.buyer_id] = 1, link
            frontier.append(link.buyer_id)
    for step in range(2, max_depth + 1):
        if not frontier:
            break
        found = sorted(
            (link for link in graph.links_sold_by(connection, frontier, at_us) if link.confirmed),
            key=lambda link: (link.supplier_id, link.id),
        )
        frontier = []
        for link in found:
            if link.buyer_id not in distance:
                distance[link.buyer_id], parent[link.buyer_id] = step, link
                frontier.append(link.buyer_id)
    return distance, parent


def _path(organisation_id: str, distance: dict[str, int], parent: dict[str, Link]) -> tuple[list[str], list[str]]:
    """From the certified supplier to the organisation, following the first link that reached each one.

    Distances fall by one along parent links down to a directly covered link (distance 1), whose supplier
    starts the path; so the walk ends even when a holder also appears downstream of itself (a cycle).
    """
    organisations, links = [organisation_id], []
    current = organisation_id
    while True:
        link = parent[current]
        links.append(link.id)
        organisations.append(link.supplier_id)
        if distance[current] == 1:
            return organisations[::-1], links[::-1]
        current = link.supplier_id
