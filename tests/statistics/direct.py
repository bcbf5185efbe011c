"""The figures computed directly, certificate by certificate and agreement by agreement, for comparison."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import Engine, select

from ecolabel_registry.agreements import lookup as agreement_lookup
from ecolabel_registry.agreements.repository import agreements
from ecolabel_registry.certificates.lookup import lifecycle_of
from ecolabel_registry.certificates.repository import certificates, events
from verification.agreements import standing_on
from verification.status import CertificateStatus, status_as_of


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def certificate_statuses(engine: Engine, day: date) -> list[tuple[dict[str, str], str]]:
    """Each certificate's key fields and its status at 00:00 UTC on `day` (not-yet-valid ones left out)."""
    with engine.connect() as connection:
        rows = list(connection.execute(select(certificates)).mappings())
        history: dict[str, list[object]] = {}
        for event in connection.execute(select(events).order_by(events.c.certificate_id, events.c.sequence)).mappings():
            history.setdefault(event["certificate_id"], []).append(event)
    found = []
    for row in rows:
        status = status_as_of(lifecycle_of(row, history.get(row["id"], [])), at=midnight(day)).status  # type: ignore[arg-type]  # RowMappings
        if status is CertificateStatus.NOT_YET_VALID:
            continue
        fields = {
            "programme": row["programme_id"],
            "category": row["category_code"],
            "criteria_version": row["criteria_version"],
            "country": row["holder_country"],
        }
        found.append((fields, status.value))
    return found


def certificate_counts(engine: Engine, day: date, fields: tuple[str, ...]) -> Counter[tuple[str | None, ...]]:
    counts: Counter[tuple[str | None, ...]] = Counter()
    for values, status in certificate_statuses(engine, day):
        counts[(*(values[f] for f in fields), status)] += 1
    return counts


def agreement_counts(engine: Engine, day: date) -> Counter[tuple[str, str]]:
    with engine.connect() as connection:
        ids = list(connection.execute(select(agreements.c.id)).scalars())
        records = agreement_lookup.records(connection, ids)
    counts: Counter[tuple[str, str]] = Counter()
    for record in records:
        counts[(record.agreement.agreement_type.value, standing_on(record, at=midnight(day)).standing.value)] += 1
    return counts
