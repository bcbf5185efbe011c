"""Which other programmes' labels a certificate is recognised as equivalent to, and through which agreement.

The candidates are the `to` categories of every agreement a resolution from the certificate's programme
could use; each is then put to `verification.recognition.resolve`, the one definition of recognition,
so the page lists exactly what `GET /v1/equivalence` would accept on that date, with the same path.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from ecolabel_registry.recognition import compiled, service
from ecolabel_registry.recognition.schemas import EquivalenceOut
from verification.recognition import Decision, Presented, resolve


def recognised_as(
    connection: Connection, certificate_id: str, presented: Presented, *, at: datetime, max_depth: int
) -> list[EquivalenceOut]:
    """Every (programme, category) the certificate counts as on `at` through agreements in force.

    The certificate's own status is left out of the question: a suspended certificate is refused
    everywhere, and the page says so beside its status; what a reader wants here is what the
    agreements make of this label while the certificate is good.
    """
    as_category = Presented(presented.programme, presented.category, presented.criteria_version)
    graph = compiled.compiled(connection)
    records = graph.relevant_to(presented.programme)
    own = (presented.programme, presented.category)
    targets = sorted(
        {
            (m.to.programme, m.to.category)
            for r in records
            for m in r.agreement.scope
            if (m.to.programme, m.to.category) != own
        }
    )
    found = []
    for target in targets:
        resolution = resolve(as_category, {target}, records, at=at, max_depth=max_depth)
        if resolution.decision is Decision.ACCEPTED_THROUGH_AGREEMENT:
            requirement = service.Requirement(frozenset({target}))
            found.append(
                service.render(
                    certificate_id,
                    as_category,
                    requirement,
                    resolution,
                    at=at,
                    known_at=None,
                    judged=service.judged_at(connection),
                    evidence=None,
                    heads=service.agreement_heads(graph, resolution),
                )
            )
    return found
