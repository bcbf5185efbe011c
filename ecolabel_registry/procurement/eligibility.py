"""Eligibility of a whole catalogue against a tender's label requirement, with one signed decision.

The work is a handful of bulk queries (items -> certificates -> events and keys) and plain Python per
certificate; each certificate is judged once however many catalogue lines point at it. Reads happen in
one snapshot, so the decision names exactly the checkpoint its data belongs to.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping

from ecolabel_registry.certificates import repository as certificate_rows
from ecolabel_registry.certificates.standing import RowsOnDate, evidence_of
from ecolabel_registry.clock import now
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.integrity.guard import require_intact
from ecolabel_registry.log import service as log
from ecolabel_registry.procurement import matching, repository
from ecolabel_registry.procurement import reasons as codes
from ecolabel_registry.procurement.digest import results_sha256
from ecolabel_registry.procurement.repository import Row
from ecolabel_registry.procurement.schemas import CatalogueLine, EligibilityAnswer, EligibilityRequest
from ecolabel_registry.programmes import keys
from ecolabel_registry.signer import sign_decision
from verification.acceptance import Label, LabelIndex, labels_of
from verification.evidence import KeyHead, checkpoint_json
from verification.first_sight import verify_unseen
from verification.keys import KeyRecord
from verification.leaf import format_log_time, to_microseconds
from verification.status import CertificateStatus


@dataclass(frozen=True)
class RecognitionQuery:
    programme: str
    category: str
    criteria_version: str
    date: datetime
    accepted: tuple[Label, ...]


@dataclass(frozen=True)
class RecognitionAnswer:
    accepted: bool
    path: list[dict[str, Any]] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


Recognizer = Callable[[RecognitionQuery], RecognitionAnswer]


def direct_only(_query: RecognitionQuery) -> RecognitionAnswer:
    return RecognitionAnswer(accepted=False, reasons=[codes.LABEL_NOT_ACCEPTED])


def evaluate(
    connection: Connection, context: RegistryContext, request: EligibilityRequest, recognizer: Recognizer = direct_only
) -> EligibilityAnswer:
    require_intact(connection)  # a decision signed from tables that differ from the log would be a false one
    date = request.date or now()
    head, checkpoint = log.latest_checkpoint(connection, context.note_signer)
    root_hash = base64.b64encode(head.root_hash).decode()
    labels = _accepted_labels(connection, request)
    # The rows, credential bytes, events and keys are released when `_judged` returns, before the results
    # are encoded and hashed below, so that the encoding does not add to them.
    results, foreign = _judged(connection, request, labels, date, recognizer, first_sights=context.first_sights)
    eligible = sum(1 for result in results if result["eligible"])
    requirement = request.requirement.model_dump(mode="json", exclude_none=True)
    date_text = format_log_time(to_microseconds(date))
    digest, encoded = results_sha256(results, foreign)
    decision = sign_decision(
        context,
        {
            "type": "EligibilityDecision",
            "issuer": context.settings.log_origin,
            "issuedAt": format_log_time(time.time_ns() // 1000),
            "checkpoint": checkpoint,
            "treeSize": head.tree_size,
            "rootHash": root_hash,
            "requirement": requirement,
            "date": date_text,
            "itemCount": len(results),
            "eligibleCount": eligible,
            "resultsSha256": digest,
        },
    )
    # Every field is built above with its final type: validating 10,000 results again would only cost time.
    return EligibilityAnswer.model_construct(
        requirement=requirement,
        date=date_text,
        checkpoint=checkpoint,
        judged_at=checkpoint_json(head.tree_size, root_hash),
        eligible=eligible,
        not_eligible=len(results) - eligible,
        results=results,
        decision=decision,
    ).keep_results_json(encoded)


def _judged(
    connection: Connection,
    request: EligibilityRequest,
    labels: tuple[Label, ...],
    date: datetime,
    recognizer: Recognizer,
    *,
    first_sights: Executor | None,
) -> tuple[list[dict[str, Any]], list[Any]]:
    """One result per line, and what the recognizer returned in them (for `results_sha256`)."""
    found = matching.find(connection, request.items)
    rows = found.rows
    # event_count moves with every event in the same transaction: only certificates with events are asked.
    events = certificate_rows.events_of(connection, sorted(cid for cid, row in rows.items() if row["event_count"]))
    key_records = keys.load(connection, {(r["programme_id"], r["signing_kid"]) for r in rows.values()})
    # Every path judges the exact bytes logged: a stored credential altered behind the registry's back is
    # refused here as it is by the single check (signature checks are memoized in `verification.standing`).
    documents = certificate_rows.documents_at(connection, (row["leaf_index"] for row in rows.values()))
    # The credentials this process has not verified yet, two at a time, before any is judged.
    verify_unseen(
        (
            (cid, documents.get(row["leaf_index"], b""), key_records.get((row["programme_id"], row["signing_kid"])))
            for cid, row in rows.items()
        ),
        first_sights,
    )
    key_heads = keys.heads(connection, (row["programme_id"] for row in rows.values()))
    judge = _Judge(
        request,
        labels=labels,
        date=date,
        events=events,
        documents=documents,
        key_records=key_records,
        key_heads=key_heads,
        recognizer=recognizer,
    )
    return _results(request.items, found, judge), judge.foreign


def _accepted_labels(connection: Connection, request: EligibilityRequest) -> tuple[Label, ...]:
    requirement = request.requirement
    crosswalked: list[tuple[str, str, str]] = []
    if requirement.cpv:
        crosswalked += repository.categories_for_code(connection, "cpv", requirement.cpv[:8])
    if requirement.cn_procurement:
        crosswalked += repository.categories_for_code(connection, "cn_procurement", requirement.cn_procurement)
    return labels_of((Label(a.programme, a.category, a.criteria_version) for a in requirement.accepted), crosswalked)


class _Judge:
    """Judges each certificate once, however many catalogue lines point at it."""

    def __init__(
        self,
        request: EligibilityRequest,
        *,
        labels: tuple[Label, ...],
        date: datetime,
        events: dict[str, list[RowMapping]],
        documents: dict[int, bytes],
        key_records: dict[tuple[str, str], KeyRecord],
        key_heads: dict[str, KeyHead],
        recognizer: Recognizer,
    ) -> None:
        self.request, self.labels, self.date = request, labels, date
        self.events, self.documents, self.key_records, self.recognizer = events, documents, key_records, recognizer
        self.key_heads = key_heads
        self.standing_of = RowsOnDate(date)  # `judge_row(..., at=date)`, the date and keys taken once
        self.markets = tuple(dict.fromkeys(request.requirement.markets))
        self.equivalents = request.requirement.equivalents
        self.index = LabelIndex(labels)
        self.cache: dict[str, dict[str, Any]] = {}
        self.lines: dict[str, _Alone] = {}  # certificate id -> `alone(row)`
        self.unchanged: dict[str, dict[str, Any]] = {}  # programme -> evidence of a certificate without events
        self.foreign: list[Any] = []  # what the recognizer returned, for `results_sha256`

    def __call__(self, row: Row) -> dict[str, Any]:
        cached = self.cache.get(row["id"])
        if cached is None:
            cached = self.cache[row["id"]] = self._judge(row)
        return cached

    def alone(self, row: Row) -> _Alone:
        """What a line naming only this certificate says, made once for every such line (`_results`)."""
        one = self(row)
        eligible = one["eligible"]
        alone = self.lines[row["id"]] = (eligible, [] if eligible else sorted(set(one["reasons"])), [one])
        return alone

    def _judge(self, row: Row) -> dict[str, Any]:
        events = self.events.get(row["id"], ())
        programme = row["programme_id"]
        # Each certificate is judged once a request and owns its leaf (unique): its bytes are let go as soon
        # as it is judged (a missing log row: empty bytes never hash to an id).
        standing = self.standing_of(
            row,
            self.documents.pop(row["leaf_index"], b""),
            self.key_records.get((programme, row["signing_kid"])),
            events,
        )
        status = standing.status
        reasons = list(standing.reasons)
        if self.markets:
            covered = row["markets"] or ()
            for market in self.markets:
                if market not in covered:
                    reasons.append(codes.MARKET_NOT_COVERED)
                    break
        category, version = row["category_code"], standing.criteria_version
        via, path, conditions = None, [], []
        if self.index.covers(programme, category, version):
            via = "direct"
        elif self.equivalents:
            answer = self.recognizer(RecognitionQuery(programme, category, version, self.date, self.labels))
            if answer.accepted:
                via, path, conditions = "equivalent", answer.path, answer.conditions
                self.foreign += [path, conditions]
            else:
                reasons.extend(answer.reasons)
        else:
            reasons.append(codes.LABEL_NOT_ACCEPTED)
        return {
            "id": row["id"],
            "programme": programme,
            "licence_number": row["licence_number"],
            "category": category,
            "criteria_version": version,
            "status": _STATUS_TEXT[status],
            "accepted_via": via,
            "path": path,
            "conditions": conditions,
            "reasons": reasons,
            "eligible": via is not None and not reasons and status is CertificateStatus.ACTIVE,
            "evidence": self._evidence(row, events, programme),
        }

    def _evidence(self, row: Row, events: Sequence[RowMapping], programme: str) -> dict[str, Any]:
        """`evidence_of(...).to_api()`. A certificate without status events differs from another of its
        programme only by its leaf: the rest is made once per programme, and its parts are shared."""
        if events:
            return evidence_of(row, events, self.key_heads[programme]).to_api()
        unchanged = self.unchanged.get(programme)
        if unchanged is None:
            unchanged = self.unchanged[programme] = evidence_of(row, (), self.key_heads[programme]).to_api()
        return {**unchanged, "leaf_index": row["leaf_index"]}


_STATUS_TEXT = {status: status.value for status in CertificateStatus}  # an enum's `.value` is a descriptor call
# A line naming one certificate: eligible, its reasons, [the certificate's result]. The lines naming the same
# certificate share these values (results are read and encoded, never changed).
_Alone = tuple[bool, list[str], list[dict[str, Any]]]


def _results(items: Sequence[CatalogueLine], found: matching.Found, judge: _Judge) -> list[dict[str, Any]]:
    """One result per line, in order. Most lines name one certificate, already judged for an earlier line.

    A line named by certificate id or by licence names at most one row, looked up here directly; a GTIN
    line goes through `matching.matches` (its model patterns), whose answers these are for every line
    (tests/registry/test_eligibility_memos.py names lines every way, matched and not). The lines that
    name the same certificate, or name nothing for the same reason, share their values (`_Alone`)."""
    judged_by_id, lines = judge.cache, judge.lines
    rows, by_licence = found.rows, found.by_licence
    unknown_certificate: _Alone = (False, [codes.UNKNOWN_CERTIFICATE], [])
    unknown_licence: _Alone = (False, [codes.UNKNOWN_LICENCE], [])
    results: list[dict[str, Any]] = []
    append = results.append
    for index, item in enumerate(items):
        certificate_id = item.certificate_id
        if certificate_id is not None:
            row = rows.get(certificate_id)
            alone = unknown_certificate if row is None else lines.get(row["id"]) or judge.alone(row)
        elif item.licence_number is not None:
            row = by_licence.get((item.programme or "", item.licence_number))
            alone = unknown_licence if row is None else lines.get(row["id"]) or judge.alone(row)
        else:
            matched, missing = matching.matches(item, found)
            if len(matched) > 1:
                judged = [judged_by_id.get(row["id"]) or judge(row) for row in matched]
                eligible = any(c["eligible"] for c in judged)
                reasons = [] if eligible else sorted({r for c in judged for r in c["reasons"]})
                result = {"index": index, "eligible": eligible, "reasons": reasons, "certificates": judged}
                if item.ref is not None:
                    result["ref"] = item.ref
                append(result)
                continue
            if matched:
                row = matched[0]
                alone = lines.get(row["id"]) or judge.alone(row)
            else:
                alone = (False, missing, [])
        eligible, reasons, certificates = alone
        ref = item.ref
        if ref is None:
            append({"index": index, "eligible": eligible, "reasons": reasons, "certificates": certificates})
        else:
            append({"index": index, "eligible": eligible, "reasons": reasons, "certificates": certificates, "ref": ref})
    return results
