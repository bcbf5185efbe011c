"""The answers' JSON written with orjson is the JSON their response models write (`recognition.answer_json`).

Every served answer over the demo world is held to the plain assembly in `test_answer_bytes.py`; here
the writers are held to the models over values that world does not hold: every optional field absent
and present, strings with every character JSON escapes, non-ASCII text, and each decision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.responses import Response

from ecolabel_registry.api.answers import JSONBytes, model_json
from ecolabel_registry.recognition import answer_json, service
from ecolabel_registry.recognition.trqp_schemas import AuthorizationAnswer, RecognitionAnswer
from tests.fresh_loop import run_fresh
from verification.evidence import CertificateEvidence, KeyHead, StatusHead
from verification.recognition import (
    Condition,
    ConditionKind,
    Decision,
    Presented,
    Reason,
    ReasonCode,
    Resolution,
)
from verification.status import CertificateStatus

ODD = "".join(chr(code) for code in range(0x20)) + '"\\/ é 中文 \u2028\u2029\ufeff \U0001f600 \x7f'
AT = datetime(2025, 6, 1, 10, 0, 0, 123456, tzinfo=UTC)


def _echo(*, optional: bool) -> dict[str, Any]:
    # `_Answer`'s fields in order, as `api.trqp._evaluate` gives them.
    return {
        "entity_id": "urn:ecolabel:programme:cec" + ODD,
        "authority_id": "jea",
        "action": "recognize",
        "resource": "No.118",
        "time_requested": "2025-06-01T10:00:00Z" if optional else None,
        "time_evaluated": "2025-06-01T10:00:00.123456Z",
        "message": "On …, " + ODD,
        "context": {"category": ODD, "time": "2025-06-01T10:00:00Z"} if optional else None,
        "decision": Decision.NOT_ACCEPTED,
        "reasons": [ReasonCode.NO_AGREEMENT, ReasonCode.AGREEMENT_NOT_IN_FORCE],
        "agreements": ["a" * 64],
        "judged_at": {"tree_size": 177, "root_hash": "7CXBYT7qLXIO0+neskJ0EcShWOLYDwhSdoqD+PPTI+I="},
        "evidence": CertificateEvidence(5, StatusHead(2, "ab" * 32, 9), KeyHead("cec", 0, 0)).to_api()
        if optional
        else None,
        "agreement_heads": [
            {
                "agreement_id": "a" * 64,
                "leaf_index": 3,
                "event_head": {"sequence": 0, "sha256": None, "leaf_index": None},
            }
        ],
    }


@pytest.mark.parametrize("optional", [True, False])
def test_trqp_answers_are_the_models_bytes(optional: bool) -> None:
    echo = _echo(optional=optional)
    assert list(echo) == [name for name in RecognitionAnswer.model_fields if name != "recognized"]
    given = {name: item for name, item in echo.items() if item is not None}  # as `api.trqp._evaluate` writes it
    for verdict, model in (("recognized", RecognitionAnswer), ("authorized", AuthorizationAnswer)):
        for value in (True, False):
            expected = model_json(model(**echo, **{verdict: value}), exclude_none=True)
            assert answer_json.trqp_json(dict(given), verdict, value) == expected


@pytest.mark.parametrize(
    "resolution",
    [
        Resolution(Decision.ACCEPTED),
        Resolution(
            Decision.NOT_ACCEPTED,
            reasons=(
                Reason(ReasonCode.NO_AGREEMENT, ODD),
                Reason(ReasonCode.AGREEMENT_NOT_IN_FORCE, "suspended", agreement_id="b" * 64),
            ),
        ),
        Resolution(
            Decision.ACCEPTED_THROUGH_AGREEMENT,
            conditions=(
                Condition(ConditionKind.SUPPLEMENTARY_CRITERIA, "c" * 64, "jea", "No.118", ("one", ODD), ODD),
                Condition(ConditionKind.PROXY_ASSESSMENT, "c" * 64, "jea", "No.118"),
            ),
        ),
    ],
)
@pytest.mark.parametrize("certificate", [True, False])
def test_equivalence_answers_are_the_models_bytes(resolution: Resolution, certificate: bool) -> None:
    certificate_id = "d" * 64 if certificate else None
    presented = (
        Presented("cec", "HJ 2536" + ODD, "2013", CertificateStatus.ACTIVE, signing_key_valid=False)
        if certificate
        else Presented("cec", None)
    )
    evidence = CertificateEvidence(5, StatusHead(0), KeyHead("cec", 1, 4)) if certificate else None
    for target in (
        service.Requirement(frozenset({("jea", "No.118"), ("kec", ODD)})),
        service.Requirement(frozenset({("jea", "No.118")}), cpv="30213000-5"),
        service.Requirement(frozenset(), cn_procurement="A02010104"),
    ):
        for known_at in (None, AT):
            inputs: dict[str, Any] = {
                "at": AT,
                "known_at": known_at,
                "judged": {"tree_size": 9, "root_hash": "AAAA"},
                "evidence": evidence,
                "heads": [{"agreement_id": "c" * 64, "leaf_index": 1}],
            }
            expected = model_json(service.render(certificate_id, presented, target, resolution, **inputs))
            assert answer_json.equivalence_json(certificate_id, presented, target, resolution, **inputs) == expected


async def _sent(response: Response) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        messages.append(dict(message))

    await response({"type": "http", "method": "GET", "headers": []}, receive, send)
    return messages


@pytest.mark.parametrize("status_code", [200, 201])
@pytest.mark.parametrize("body", [b"{}", ('{"m":"' + ODD + '"}').encode(), b""])
def test_json_bytes_is_the_response_starlette_builds_for_them(body: bytes, status_code: int) -> None:
    """`JSONBytes` sets a response's fields itself, without `Response.__init__`: it must stay what that
    builds, attributes and what is sent, should Starlette change how a response is made (200 for the
    read answers, 201 for a submission's)."""
    ours = JSONBytes(body, status_code) if status_code != 200 else JSONBytes(body)
    theirs = Response(body, status_code=status_code, media_type="application/json")
    assert (ours.status_code, ours.body, ours.raw_headers, ours.background) == (
        theirs.status_code,
        theirs.body,
        theirs.raw_headers,
        theirs.background,
    )
    assert run_fresh(lambda: _sent(ours)) == run_fresh(lambda: _sent(theirs))
