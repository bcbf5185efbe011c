"""Which certificates each catalogue line names: by id, by programme + licence number, or by GTIN (+ model).

All lines are resolved together, one statement per 500 keys, and each statement returns the whole
certificate row: a licence or GTIN match needs no second query by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from ecolabel_registry.procurement import reasons as codes
from ecolabel_registry.procurement import repository
from ecolabel_registry.procurement.repository import Row
from ecolabel_registry.procurement.schemas import CatalogueLine
from verification.identifiers import normalise_gtin


@dataclass(frozen=True)
class Found:
    rows: dict[str, Row]  # certificate id -> row, every certificate any line matched
    by_licence: dict[tuple[str, str], Row]
    by_gtin: dict[str, list[tuple[Row, str | None]]]  # normalised GTIN -> (row, model pattern)
    gtins: dict[str, str]  # GTIN as sent -> normalised ("" when invalid: it matches nothing)


def find(connection: Connection, items: Sequence[CatalogueLine]) -> Found:
    sent_gtins: set[str] = set()
    licences: set[tuple[str, str]] = set()
    ids: set[str] = set()
    for item in items:  # one pass over up to 10,000 lines
        if item.gtin:
            sent_gtins.add(item.gtin)
        if item.programme and item.licence_number:
            licences.add((item.programme, item.licence_number))
        if item.certificate_id:
            ids.add(item.certificate_id)
    gtins = {gtin: _normalised(gtin) for gtin in sent_gtins}
    by_licence = repository.current_by_licence(connection, licences)
    by_gtin = repository.by_gtins(connection, (gtin for gtin in gtins.values() if gtin))
    rows = {row["id"]: row for row in by_licence.values()}
    rows.update((row["id"], row) for matches in by_gtin.values() for row, _ in matches)
    named = ids.difference(rows)
    rows.update(repository.by_ids(connection, named))
    return Found(rows, by_licence, by_gtin, gtins)


def matches(item: CatalogueLine, found: Found) -> tuple[Sequence[Row], list[str]]:
    """The certificate rows this line names, or the reason it names none."""
    if item.certificate_id is not None:
        row = found.rows.get(item.certificate_id)
        return ([row], []) if row is not None else ([], [codes.UNKNOWN_CERTIFICATE])
    if item.licence_number is not None:
        row = found.by_licence.get((item.programme or "", item.licence_number))
        return ([row], []) if row is not None else ([], [codes.UNKNOWN_LICENCE])
    candidates = found.by_gtin.get(found.gtins.get(item.gtin or "", ""), [])
    if not candidates:
        return [], [codes.NO_CERTIFICATE_FOR_GTIN]
    covering = [row for row, pattern in candidates if _model_covered(pattern, item.model)]
    return (covering, []) if covering else ([], [codes.MODEL_NOT_COVERED])


def _normalised(gtin: str) -> str:
    try:
        return normalise_gtin(gtin)
    except ValueError:
        return ""  # matches nothing: the item is answered NO_CERTIFICATE_FOR_GTIN


def _model_covered(pattern: str | None, model: str | None) -> bool:
    # A licence that lists the product without a model covers it by GTIN alone; "X-100*" covers a series.
    if pattern is None or model is None:
        return True
    if pattern.endswith("*"):
        return model.casefold().startswith(pattern[:-1].casefold())
    return model.casefold() == pattern.casefold()
