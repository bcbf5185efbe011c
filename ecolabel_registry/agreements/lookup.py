"""Reading agreements back: one with its signatures and events, pages by filter, and value objects.

`records` turns stored rows into `verification.agreements.AgreementRecord`s: the same value objects a
buyer builds offline, so that the registry's in-force and resolution answers come from the one
definition in `verification`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping

from ecolabel_registry.agreements import repository
from ecolabel_registry.agreements.schemas import (
    AgreementDetail,
    AgreementEventOut,
    AgreementOut,
    CategoryScopeOut,
    MappingOut,
    PartyOut,
    ProposedEventOut,
    RecognitionOut,
    SupplementaryOut,
    VersionsOut,
)
from ecolabel_registry.approvals import repository as proposals
from ecolabel_registry.approvals.repository import ProposalKind
from ecolabel_registry.clock import now
from ecolabel_registry.errors import NotFound
from verification.agreements import (
    AgreementEventRecord,
    AgreementRecord,
    approvers_needed,
    check_next_event,
    standing_on,
)
from verification.documents import logged_payload
from verification.errors import VerificationError
from verification.leaf import format_log_time, from_microseconds, to_microseconds
from verification.payloads import Agreement, AgreementChange, AgreementEvent, CategoryScope
from verification.status import ChainHead

# A filtered page reads at most this many candidate rows per round before it answers with a cursor.
_SCAN_ROUNDS = 20


def stored_payload(document: bytes) -> Agreement:
    """The payload of an agreement the registry verified when it accepted it (not verified again here)."""
    return logged_payload(document, Agreement)


def records(connection: Connection, ids: Sequence[str]) -> list[AgreementRecord]:
    rows = repository.many(connection, ids)
    wanted = [row["id"] for row in rows]
    party_rows, event_rows = repository.parties_of(connection, wanted), repository.events_of(connection, wanted)
    return [record_of(row, party_rows[row["id"]], event_rows[row["id"]]) for row in rows]


def heads_of(connection: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """agreement id -> the agreement as an answer relied on: its leaf and the head of its event chain
    (`sequence` 0 and nulls when it has no events), for answers that name what they judged."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    events = repository.events_of(connection, wanted)
    return {
        row["id"]: {
            "agreement_id": row["id"],
            "leaf_index": row["leaf_index"],
            "event_head": {
                "sequence": row["event_count"],
                "sha256": row["last_event_sha256"],
                "leaf_index": events[row["id"]][-1]["leaf_index"] if events.get(row["id"]) else None,
            },
        }
        for row in repository.many(connection, wanted)
    }


def get(connection: Connection, agreement_id: str, *, at: datetime | None = None) -> AgreementDetail:
    row = repository.get(connection, agreement_id)
    if row is None:
        raise NotFound(f"no agreement {agreement_id}")
    party_rows = repository.parties_of(connection, [agreement_id])[agreement_id]
    event_rows = repository.events_of(connection, [agreement_id])[agreement_id]
    record = record_of(row, party_rows, event_rows)
    payload = record.agreement
    return AgreementDetail(
        **_out(row, record, party_rows, at or now()).model_dump(),
        scope=[MappingOut(from_=scope_out(mapping.from_), to=scope_out(mapping.to)) for mapping in payload.scope],
        supplementary_criteria=[
            SupplementaryOut(programme=item.programme, category=item.category, criterion=item.criterion)
            for item in payload.supplementary_criteria
        ],
        proxy_note=payload.proxy_note,
        events=[event_out(event) for event in event_rows],
        proposed_events=_proposed(connection, row, record),
        next_event={"sequence": row["event_count"] + 1, "previous": row["last_event_sha256"] or row["id"]},
        document=bytes(row["document"]).decode("ascii"),
    )


def _proposed(connection: Connection, row: RowMapping, record: AgreementRecord) -> list[ProposedEventOut]:
    """Events waiting for approvals whose sequence is still free, with who approved and who must still."""
    pending = proposals.pending(connection, ProposalKind.AGREEMENT_EVENT, row["id"], row["event_count"])
    signers = proposals.signers_of(connection, [p["sha256"] for p in pending])
    head = ChainHead(next_sequence=row["event_count"] + 1, previous_sha256=row["last_event_sha256"] or row["id"])
    found = []
    for proposal in pending:
        token = bytes(proposal["document"])
        event = logged_payload(token, AgreementEvent)
        try:
            required = check_next_event(record, head, event)
        except VerificationError:
            continue  # it no longer fits the chain (another event took its place): it can never apply
        approved = frozenset(signers[proposal["sha256"]])
        found.append(
            ProposedEventOut(
                sha256=proposal["sha256"],
                sequence=event.sequence,
                change=event.change.value,
                effective_at=format_log_time(to_microseconds(event.effective_at)),
                effective_until=_time(to_microseconds(event.effective_until) if event.effective_until else None),
                issuer_id=event.programme_id,
                approved_by=sorted(approved),
                awaiting=list(approvers_needed(required, approved)),
                proposed_at=format_log_time(proposal["integrated_us"]),
                document=token.decode("ascii"),
            )
        )
    return found


def search(
    connection: Connection, *, party: str | None, in_force_on: datetime | None, cursor: str | None, limit: int
) -> tuple[list[AgreementOut], str | None]:
    """A page of agreements ordered by id; `in_force_on` keeps those in force at that instant."""
    at = in_force_on or now()
    found: list[AgreementOut] = []
    after = cursor
    for _ in range(_SCAN_ROUNDS):
        rows = repository.search(connection, party, after, limit + 1)
        if not rows:
            return found, None
        ids = [row["id"] for row in rows]
        party_rows, event_rows = repository.parties_of(connection, ids), repository.events_of(connection, ids)
        for row in rows:
            after = row["id"]
            record = record_of(row, party_rows[row["id"]], event_rows[row["id"]])
            if in_force_on is not None and not standing_on(record, at=in_force_on).in_force:
                continue
            found.append(_out(row, record, party_rows[row["id"]], at))
            if len(found) > limit:
                return found[:limit], found[limit - 1].id
        if len(rows) <= limit:
            return found, None
    return found, after  # scanned enough for one request: the caller continues from here


def event_out(event: Mapping[Any, Any]) -> AgreementEventOut:
    return AgreementEventOut(
        sequence=event["sequence"],
        change=event["change"],
        effective_at=format_log_time(event["effective_us"]),
        effective_until=_time(event["effective_until_us"]),
        reason=event["reason"],
        issuer_id=event["issuer_id"],
        sha256=event["sha256"],
        signing_kid=event["signing_kid"],
        leaf_index=event["leaf_index"],
        integrated_at=format_log_time(event["integrated_us"]),
        document=bytes(event["document"]).decode("ascii"),
    )


def record_of(row: RowMapping, party_rows: Sequence[RowMapping], event_rows: Sequence[RowMapping]) -> AgreementRecord:
    return AgreementRecord(
        id=row["id"],
        agreement=stored_payload(bytes(row["document"])),
        logged_us=row["integrated_us"],
        signatures={p["programme_id"]: p["signed_us"] for p in party_rows if p["signed_us"] is not None},
        events=tuple(
            AgreementEventRecord(
                change=AgreementChange(e["change"]),
                effective_at=from_microseconds(e["effective_us"]),
                effective_until=_moment(e["effective_until_us"]),
                integrated_us=e["integrated_us"],
                issuer=e["issuer_id"],
            )
            for e in event_rows
        ),
    )


def _out(row: RowMapping, record: AgreementRecord, party_rows: Sequence[RowMapping], at: datetime) -> AgreementOut:
    payload = record.agreement
    answer = standing_on(record, at=at)
    pairs = [(a, b) for a in payload.parties for b in payload.parties if a != b] if payload.mutual else None
    return AgreementOut(
        id=row["id"],
        title=payload.title,
        issuer_id=row["issuer_id"],
        agreement_type=payload.agreement_type.value,
        parties=[_party_out(p, row["issuer_id"]) for p in party_rows],
        fully_signed=not answer.missing_signatures,
        mutual=payload.mutual,
        recognitions=[
            RecognitionOut(recognizer=a, recognized=b)
            for a, b in (pairs or [(r.recognizer, r.recognized) for r in payload.recognitions])
        ],
        effective_from=format_log_time(to_microseconds(payload.effective_from)),
        effective_until=_time(row["effective_until_us"]),
        onward_recognition=payload.onward_recognition,
        announcement=payload.announcement,
        standing=answer.standing,
        suspended_by=list(answer.suspended_by),
        terminated_by=list(answer.terminated_by),
        standing_at=format_log_time(to_microseconds(at)),
        effective_until_at_standing=_time(to_microseconds(answer.effective_until) if answer.effective_until else None),
        leaf_index=row["leaf_index"],
        integrated_at=format_log_time(row["integrated_us"]),
    )


def _party_out(row: RowMapping, proposer: str) -> PartyOut:
    separate = row["signature_sha256"] is not None
    return PartyOut(
        programme_id=row["programme_id"],
        proposer=row["programme_id"] == proposer,
        signed=row["signed_us"] is not None,
        signed_at=_time(row["signed_us"]),
        signing_kid=row["signing_kid"],
        leaf_index=row["leaf_index"],
        signature_sha256=row["signature_sha256"],
        signature=bytes(row["document"]).decode("ascii") if separate and row["document"] is not None else None,
    )


def scope_out(scope: CategoryScope) -> CategoryScopeOut:
    versions = scope.criteria_versions
    return CategoryScopeOut(
        programme=scope.programme,
        category=scope.category,
        criteria_versions=VersionsOut(min=versions.min, max=versions.max),
    )


def _time(microseconds: int | None) -> str | None:
    return format_log_time(microseconds) if microseconds is not None else None


def _moment(microseconds: int | None) -> datetime | None:
    return from_microseconds(microseconds) if microseconds is not None else None
