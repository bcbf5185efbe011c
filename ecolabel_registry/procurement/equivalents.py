"""The "or equivalent" step of an eligibility check: mutual-recognition agreements in force on the date.

Adapts `verification.recognition.resolve` (the one definition of recognition) to the eligibility
batch: the agreements come from `recognition.compiled` (as of the check's snapshot), and a label that names a programme
without a category stands for every category that programme has defined.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.models import Category
from ecolabel_registry.procurement import reasons as codes
from ecolabel_registry.procurement.eligibility import RecognitionAnswer, RecognitionQuery, Recognizer, evaluate
from ecolabel_registry.procurement.schemas import EligibilityAnswer, EligibilityRequest
from ecolabel_registry.recognition import compiled
from verification.acceptance import Label, accepted_pairs
from verification.agreements import AgreementRecord
from verification.recognition import Presented, resolve

categories = Category.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes


def agreement_recognizer(connection: Connection, *, max_depth: int) -> Recognizer:
    records: dict[str, list[AgreementRecord]] = {}
    heads: dict[str, dict[str, Any]] = {}  # what each hop relied on, as of the same snapshot
    pairs: dict[tuple[Label, ...], frozenset[tuple[str, str]]] = {}
    graphs: list[compiled.Compiled] = []  # read at the first question: most checks never ask one

    def recognize(query: RecognitionQuery) -> RecognitionAnswer:
        if query.programme not in records:
            if not graphs:
                graphs.append(compiled.compiled(connection))
            records[query.programme] = graphs[0].relevant_to(query.programme)
            heads.update(graphs[0].heads_of(record.id for record in records[query.programme]))
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
    whole = sorted({label.programme for label in labels if label.category is None})
    defined: dict[str, list[str]] = {}
    if whole:
        query = select(categories.c.programme_id, categories.c.code).where(categories.c.programme_id.in_(whole))
        for row in connection.execute(query):
            defined.setdefault(row.programme_id, []).append(row.code)
    return accepted_pairs(labels, defined)


def evaluate_with_equivalents(
    connection: Connection, context: RegistryContext, request: EligibilityRequest
) -> EligibilityAnswer:
    """An eligibility check with "or equivalent" judged by the agreements in force (API and console alike)."""
    recognizer = agreement_recognizer(connection, max_depth=context.settings.recognition_max_depth)
    return evaluate(connection, context, request, recognizer)
