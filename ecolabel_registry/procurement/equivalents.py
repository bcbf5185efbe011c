"""The "or equivalent" step of an eligibility check: mutual-recognition agreements in force on the date.

Adapts `verification.recognition.resolve` (the one definition of recognition) to the eligibility
batch: agreement records are read once per presented programme, and a label that names a programme
without a category stands for every category that programme has defined.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from ecolabel_registry.agreements import lookup as agreements
from ecolabel_registry.agreements import repository as agreement_rows
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.models import Category
from ecolabel_registry.procurement import reasons as codes
from ecolabel_registry.procurement.eligibility import Label, RecognitionAnswer, RecognitionQuery, Recognizer, evaluate
from ecolabel_registry.procurement.schemas import EligibilityAnswer, EligibilityRequest
from verification.agreements import AgreementRecord
from verification.recognition import Presented, resolve

categories = Category.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes


def agreement_recognizer(connection: Connection, *, max_depth: int) -> Recognizer:
    records: dict[str, list[AgreementRecord]] = {}
    heads: dict[str, dict[str, Any]] = {}  # what each hop relied on, read in the same snapshot
    pairs: dict[tuple[Label, ...], frozenset[tuple[str, str]]] = {}

    def recognize(query: RecognitionQuery) -> RecognitionAnswer:
        if query.programme not in records:
            relevant = agreement_rows.relevant_to(connection, query.programme)
            records[query.programme] = agreements.records(connection, relevant)
            heads.update(agreements.heads_of(connection, relevant))
        if query.accepted not in pairs:
            pairs[query.accepted] = _accepted_pairs(connection, query.accepted)
        resolution = resolve(
            Presented(query.programme, query.category, query.criteria_version),
            pairs[query.accepted],
            records[query.programme],
            at=query.date,
            max_depth=max_depth,
        )
        if not resolution.accepted:
            return RecognitionAnswer(
                accepted=False, reasons=sorted({r.code.value for r in resolution.reasons}) or [codes.LABEL_NOT_ACCEPTED]
            )
        return RecognitionAnswer(
            accepted=True,
            path=[_hop(hop, heads[hop.agreement_id]) for hop in resolution.path],
            conditions=[condition.note for condition in resolution.conditions],
        )

    return recognize


def _hop(hop: Any, head: dict[str, Any]) -> dict[str, Any]:
    mapping = hop.mapping
    return {
        "agreement": hop.agreement_id,
        "title": hop.agreement.title,
        "type": hop.agreement.agreement_type.value,
        "from": {"programme": mapping.from_.programme, "category": mapping.from_.category},
        "to": {"programme": mapping.to.programme, "category": mapping.to.category},
        "announcement": hop.agreement.announcement,
        "agreement_leaf_index": head["leaf_index"],
        "event_head": head["event_head"],
    }


def _accepted_pairs(connection: Connection, labels: tuple[Label, ...]) -> frozenset[tuple[str, str]]:
    found = {(label.programme, label.category) for label in labels if label.category is not None}
    whole = sorted({label.programme for label in labels if label.category is None})
    if whole:
        query = select(categories.c.programme_id, categories.c.code).where(categories.c.programme_id.in_(whole))
        found.update((row.programme_id, row.code) for row in connection.execute(query))
    return frozenset((programme, category) for programme, category in found if category is not None)


def evaluate_with_equivalents(
    connection: Connection, context: RegistryContext, request: EligibilityRequest
) -> EligibilityAnswer:
    """An eligibility check with "or equivalent" judged by the agreements in force (API and console alike)."""
    recognizer = agreement_recognizer(connection, max_depth=context.settings.recognition_max_depth)
    return evaluate(connection, context, request, recognizer)
