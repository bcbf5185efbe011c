"""The JSON of the recognition answers, written from plain values with orjson.

`GET /v1/equivalence` and the TRQP queries name a `response_model` (`EquivalenceOut`,
`RecognitionAnswer`, `AuthorizationAnswer`) and send its JSON. Building the nested models to serialize
them once validated every field again and cost more than the question's own decision (BENCHMARKS.md,
changelog "recognition answers: the answer's own work"). The functions here write the same bytes: the
models' fields in their order, by alias, the same values (enums as their values, nested dicts as they
are), and, where the route says `response_model_exclude_none`, without the fields whose value is None.
orjson and pydantic escape strings alike (`"`, `\\` and the C0 controls, nothing else), and every
number here is an integer. `tests/recognition/test_answer_json.py` holds both writers to the models'
bytes and field lists; `tests/recognition/test_answer_bytes.py` holds every served answer to the plain
assembly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from ecolabel_registry.recognition.explain import explain
from ecolabel_registry.recognition.service import Requirement
from verification.evidence import CertificateEvidence
from verification.leaf import format_log_time, to_microseconds
from verification.payloads.agreement import CategoryScope
from verification.recognition import Presented, Resolution
from verification.recognition_paths import Hop


def trqp_json(echo: dict[str, Any], verdict: str, value: bool) -> bytes:
    """`RecognitionAnswer` (`verdict="recognized"`) or `AuthorizationAnswer` (`"authorized"`) of these
    fields, as `model_json(..., exclude_none=True)` writes it: `echo` holds `_Answer`'s fields in order,
    without those whose value is None (`api.trqp._evaluate` leaves them out as it writes them; a second
    pass over every field here cost as much as `orjson.dumps`). `echo` gains the verdict."""
    echo[verdict] = value
    return orjson.dumps(echo)


def equivalence_json(
    certificate_id: str | None,
    presented: Presented,
    target: Requirement,
    resolution: Resolution,
    *,
    at: datetime,
    known_at: datetime | None,
    judged: dict[str, Any],
    evidence: CertificateEvidence | None,
    heads: list[dict[str, Any]],
) -> bytes:
    """`model_json(service.render(...))`: the `EquivalenceOut` of the same inputs."""
    accepted = target.labels
    return orjson.dumps(
        {
            "decision": resolution.decision,
            "accepted": resolution.accepted,
            "date": format_log_time(to_microseconds(at)),
            "known_at": format_log_time(to_microseconds(known_at)) if known_at else None,
            "subject": {
                "certificate_id": certificate_id,
                "programme": presented.programme,
                "category": presented.category,
                "criteria_version": presented.criteria_version,
                "status": presented.status,
                "signing_key_valid": presented.signing_key_valid if certificate_id else None,
            },
            "requirement": {"accepted": accepted, "cpv": target.cpv, "cn_procurement": target.cn_procurement},
            "path": [_hop(hop) for hop in resolution.path],
            "conditions": [
                {
                    "kind": c.kind,
                    "agreement_id": c.agreement_id,
                    "programme": c.programme,
                    "category": c.category,
                    "criteria": list(c.criteria),
                    "note": c.note,
                }
                for c in resolution.conditions
            ],
            "reasons": [
                {"code": r.code, "detail": r.detail, "agreement_id": r.agreement_id} for r in resolution.reasons
            ],
            "explanation": explain(presented, accepted, resolution, at),
            "judged_at": judged,
            "evidence": evidence.to_api() if evidence is not None else None,
            "agreement_heads": heads,
        }
    )


def _hop(hop: Hop) -> dict[str, Any]:
    """`HopOut`, by alias."""
    agreement = hop.agreement
    return {
        "agreement_id": hop.agreement_id,
        "title": agreement.title,
        "announcement": agreement.announcement,
        "agreement_type": agreement.agreement_type.value,
        "onward_recognition": agreement.onward_recognition,
        "mapping_index": hop.mapping_index,
        "from": _scope(hop.mapping.from_),
        "to": _scope(hop.mapping.to),
    }


def _scope(scope: CategoryScope) -> dict[str, Any]:
    """`CategoryScopeOut`, as `agreements.lookup.scope_out` fills it."""
    versions = scope.criteria_versions
    return {
        "programme": scope.programme,
        "category": scope.category,
        "criteria_versions": {"min": versions.min, "max": versions.max},
    }
