"""Demo mutual-recognition agreements modelled on public ones, each signed by every party and logged.

The proposer signs the agreement (`agreements.signing.propose`, behind `POST /v1/agreements`), each other
party signs an `AgreementSignature` (`signing.sign`, behind `.../signatures`), and later changes such as
a renewal are signed `AgreementEvent`s (`agreements.events.submit`, behind `.../events`); a change that
widens recognition, such as a renewal, is approved by the other recognising parties too
(`agreements.events.approve`, behind `.../events/{sha256}/approvals`). Every agreement
carries `"demo": true`, the public announcement it is modelled on, and a note saying which details are
as published and which are assumptions.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection

from ecolabel_registry.agreements import events, lookup, signing
from ecolabel_registry.agreements import repository as agreements_repository
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.demo.keys import DemoKey
from ecolabel_registry.demo.outcome import DemoLoadError, StepReport
from ecolabel_registry.demo.signing import sha256_hex, sign
from ecolabel_registry.demo.spec import AgreementEventSpec, AgreementSpec, ScopeEnd, World
from ecolabel_registry.errors import RegistryError
from verification.payloads import TYP, issuer_for


def _end(end: ScopeEnd) -> dict[str, Any]:
    scope: dict[str, Any] = {"programme": end.programme, "category": end.category}
    if end.versions:
        scope["criteriaVersions"] = dict(end.versions)
    return scope


def agreement_payload(spec: AgreementSpec) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "MutualRecognitionAgreement",
        "issuer": issuer_for(spec.proposer),
        "title": spec.title,
        "parties": spec.parties,
        "agreementType": spec.type.value,
        "scope": [{"from": _end(m.from_), "to": _end(m.to)} for m in spec.scope],
        "effectiveFrom": spec.effective_from.isoformat(),
        "announcement": spec.announcement,
        "demo": True,  # kept by every reader: signed payloads keep top-level members they do not know
        "modelNote": spec.note,
    }
    if spec.mutual:
        payload["mutual"] = True
    else:
        payload["recognitions"] = [dict(r) for r in spec.recognitions]
    if spec.supplementary_criteria:
        payload["supplementaryCriteria"] = [dict(c) for c in spec.supplementary_criteria]
    if spec.proxy_note:
        payload["proxyNote"] = spec.proxy_note
    if spec.effective_until:
        payload["effectiveUntil"] = spec.effective_until.isoformat()
    return payload


def _event_payload(agreement: str, sequence: int, previous: str, spec: AgreementEventSpec) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "AgreementEvent",
        "issuer": issuer_for(spec.by),
        "agreement": agreement,
        "sequence": sequence,
        "previous": previous,
        "change": spec.change.value,
        "effectiveAt": spec.effective_at.isoformat(),
        "reason": spec.reason,
    }
    if spec.effective_until:
        payload["effectiveUntil"] = spec.effective_until.isoformat()
    return payload


def load(context: RegistryContext, world: World, keys: dict[str, DemoKey]) -> StepReport:
    report = StepReport("agreements")
    started = time.perf_counter()
    with write_connection(context.engine) as connection:
        for spec in world.agreements:
            try:
                _conclude(connection, context, spec, keys, report)
            except RegistryError as exc:
                raise DemoLoadError(f"the registry refused demo agreement {spec.key}: {exc.detail}") from exc
    report.seconds = time.perf_counter() - started
    return report


def _conclude(
    connection: Connection, context: RegistryContext, spec: AgreementSpec, keys: dict[str, DemoKey], report: StepReport
) -> None:
    token = sign(agreement_payload(spec), TYP["agreement"], keys[spec.proposer])
    agreement = sha256_hex(token)
    row = agreements_repository.get(connection, agreement)
    if row is None:
        signing.propose(connection, context.note_signer, token)
        report.added["agreements"] += 1
        have = 0
    else:
        report.present["agreements"] += 1
        have = row["event_count"]
    signed = {
        p["programme_id"]
        for p in agreements_repository.parties_of(connection, [agreement])[agreement]
        if p["signed_us"]
    }
    for party in spec.parties:
        if party == spec.proposer:
            continue  # signing the agreement itself was the proposer's signature
        if party in signed:
            report.present["signatures"] += 1
            continue
        signature = {"type": "AgreementSignature", "issuer": issuer_for(party), "agreement": agreement}
        signing.sign(
            connection, context.note_signer, agreement, sign(signature, TYP["agreement_signature"], keys[party])
        )
        report.added["signatures"] += 1
    previous = agreement
    for sequence, event in enumerate(spec.events, start=1):
        event_token = sign(_event_payload(agreement, sequence, previous, event), TYP["agreement_event"], keys[event.by])
        previous = sha256_hex(event_token)
        if sequence <= have:
            report.present["agreement events"] += 1
            continue
        awaiting = _awaiting(connection, agreement, previous)
        if awaiting is None:
            awaiting = events.submit(connection, context.note_signer, agreement, event_token).awaiting
        for party in awaiting:  # a widening change: the demo signs each party's approval too
            approval = {"type": "AgreementEventApproval", "issuer": issuer_for(party), "agreement": agreement}
            approval["event"] = previous
            token = sign(approval, TYP["agreement_event_approval"], keys[party])
            events.approve(connection, context.note_signer, agreement, previous, token)
        report.added["agreement events"] += 1


def _awaiting(connection: Connection, agreement: str, event_sha256: str) -> tuple[str, ...] | None:
    """Who must still approve an event proposed by an earlier, interrupted load; None if it was never proposed."""
    for proposed in lookup.get(connection, agreement).proposed_events:
        if proposed.sha256 == event_sha256:
            return tuple(proposed.awaiting)
    return None
