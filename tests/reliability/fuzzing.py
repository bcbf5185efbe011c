"""A schemathesis campaign over every operation of the published contract, run in-process.

The engine is the one behind `st run`: coverage cases from each schema, random cases (fuzzing), then
stateful sequences along the links it infers between operations (a list's ids feed the lookups).
Requests go through the ASGI transport to an app built by `create_app(settings)`, with the admin token
configured, so every operation is reached with valid credentials.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from fastapi import FastAPI
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"

# Checks that judge the API against its published contract, all on, except two that judge the generator:
# - positive_data_acceptance expects any schema-valid body to be accepted, but a schema-valid JWS string is
#   almost never a valid signature, so refusing it (422) is the right answer;
# - negative_data_rejection expects every schema violation to be refused; a lenient reading of a query
#   (a date given as Unix seconds) is a design choice, not a fault.
_DISABLED_CHECKS = ("positive_data_acceptance", "negative_data_rejection")
# GET /v1/certificates/batch is GET /v1/certificates/{certificate_id} with an id that breaks its pattern:
# a 422 names the real mistake better than the 405 that the unsupported-method check expects.
# A certificate's status proof is `404 STATUS_MAP_OFF` for every certificate while the operator has not
# turned the status map on (as in this campaign): the stateful phase would read that documented answer to
# a certificate it just created as "created resource not found".
_OPERATION_OVERRIDES: list[dict[str, Any]] = [
    {"include-path": "/v1/certificates/batch", "checks": {"unsupported_method": {"enabled": False}}},
    {
        "include-path": "/v1/certificates/{certificate_id}/status-proof",
        "checks": {"ensure_resource_availability": {"enabled": False}},
    },
]


@dataclass
class CampaignReport:
    operations: set[str] = field(default_factory=set)
    cases: int = 0
    by_phase: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "operations": len(self.operations),
            "cases": self.cases,
            "failures": len(self.failures),
            "server_errors": sum(n for status, n in self.by_status.items() if status >= 500),
            "phases": dict(self.by_phase),
        }

    def describe(self) -> str:
        return f"{self.summary()}\n" + "\n".join(self.failures[:20])


def run_campaign(app: FastAPI, admin_token: str, *, max_examples: int, seed: int | None) -> CampaignReport:
    config = SchemathesisConfig.from_dict(
        {
            "headers": {"Authorization": f"Bearer {admin_token}"},
            "generation": {"max-examples": max_examples},
            "checks": {"enabled": True, **{name: {"enabled": False} for name in _DISABLED_CHECKS}},
            "operations": _OPERATION_OVERRIDES,
            **({"seed": seed} if seed is not None else {}),
        }
    )
    schema = schemathesis.openapi.from_path(CONTRACT, config=config)
    schema.app = app  # the ASGI transport: no sockets, and the app's lifespan runs as under a server
    report = CampaignReport()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _record(report, event)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            report.failures.append(f"engine error: {_error_text(event)}")
        elif isinstance(event, events.EngineFinished):
            report.failures.extend(f"run-level: {failure.title}" for failure in event.failures)
    return report


def _record(report: CampaignReport, event: events.ScenarioFinished) -> None:
    recorder = event.recorder
    report.cases += len(recorder.cases)
    report.by_phase[event.phase.value] += len(recorder.cases)
    for node in recorder.cases.values():
        report.operations.add(node.value.operation.label)
    for interaction in recorder.interactions.values():
        if interaction.response is not None:
            report.by_status[interaction.response.status_code] += 1
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status is Status.FAILURE and check.failure_info is not None:
                case = recorder.cases[case_id].value
                report.failures.append(f"{check.name} on {case.operation.label}: {check.failure_info.failure}")


def _error_text(event: events.NonFatalError | events.FatalError) -> str:
    if isinstance(event, events.NonFatalError):
        return f"{event.label}: {event.value!r}"
    return repr(event.exception)
