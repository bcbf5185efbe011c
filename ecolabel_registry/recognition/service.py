"""Gathering what a resolution needs (certificate status, signing key, crosswalk, agreements) and answering.

The decision itself is `verification.recognition.resolve`, a pure function: this module only reads its
inputs (the agreements and the crosswalk from `recognition.compiled`, the certificate from the
database) and renders its answer.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine

from ecolabel_registry.agreements import lookup as agreements
from ecolabel_registry.certificates import at_head
from ecolabel_registry.certificates import repository as certificates
from ecolabel_registry.certificates.standing import evidence_of, judge_row
from ecolabel_registry.db.engine import read_snapshot, single_statements
from ecolabel_registry.errors import BadRequest, NotFound
from ecolabel_registry.log import repository as log_rows
from ecolabel_registry.programmes import keys
from ecolabel_registry.recognition import compiled
from ecolabel_registry.recognition.compiled import Compiled
from ecolabel_registry.recognition.explain import explain
from ecolabel_registry.recognition.schemas import (
    ConditionOut,
    EquivalenceOut,
    HopOut,
    ReasonOut,
    RequirementOut,
    SubjectOut,
)
from verification.evidence import CertificateEvidence, checkpoint_json
from verification.leaf import format_log_time, to_microseconds
from verification.recognition import Presented, Resolution, resolve
from verification.standing import Standing


@dataclass(frozen=True)
class Requirement:
    accepted: frozenset[tuple[str, str]]
    cpv: str | None = None
    cn_procurement: str | None = None

    @property
    def labels(self) -> list[str]:
        return [f"{programme}:{category}" for programme, category in sorted(self.accepted)]


def requirement(
    graph: Compiled, *, accepted: Sequence[str], cpv: str | None, cn_procurement: str | None
) -> Requirement:
    """The accepted (programme, category) pairs: given, or found through the category crosswalk."""
    if sum((bool(accepted), cpv is not None, cn_procurement is not None)) != 1:
        raise BadRequest(
            "name the target once: accepted=programme:category (repeatable), or cpv, or cn_procurement",
            code="TARGET_REQUIRED",
        )
    if accepted:
        pairs = set()
        for item in accepted:
            programme, _, category = item.partition(":")
            if not programme or not category:
                raise BadRequest(f"accepted must look like programme:category, got {item!r}", code="BAD_ACCEPTED")
            pairs.add((programme, category))
        return Requirement(frozenset(pairs))
    scheme, code = ("cpv", cpv) if cpv is not None else ("cn_procurement", cn_procurement or "")
    found = graph.categories_with_code(scheme, code)
    if not found:
        raise NotFound(f"no category lists {scheme} code {code} in its crosswalk", code="UNKNOWN_PROCUREMENT_CODE")
    return Requirement(frozenset(found), cpv=cpv, cn_procurement=cn_procurement)


def certificate_subject(
    connection: Connection, certificate_id: str, *, at: datetime, known_at_us: int | None
) -> Presented:
    """A registered certificate as the resolution sees it: category, version, status on `at`, key validity."""
    return judged_certificate(connection, certificate_id, at=at, known_at_us=known_at_us)[0]


def judged_certificate(
    connection: Connection, certificate_id: str, *, at: datetime, known_at_us: int | None
) -> tuple[Presented, CertificateEvidence]:
    """`certificate_subject`, with what its standing was judged from (`verification.evidence`).

    Read afresh, as for every standing, not from `recognition.compiled`: a key record edited in the table
    must count at once (`verification.standing`)."""
    row = certificates.get(connection, certificate_id)
    if row is None:
        raise NotFound(f"no certificate {certificate_id}")
    history = certificates.events_of(connection, [certificate_id])[certificate_id] if row["event_count"] else []
    key = keys.load_one(connection, row["programme_id"], row["signing_kid"])
    standing = judge_row(row, bytes(row["document"]), key, history, at=at, known_at_us=known_at_us)
    key_head = keys.heads(connection, [row["programme_id"]])[row["programme_id"]]
    return _presented(row, standing), evidence_of(row, history, key_head)


class CertificateRead(NamedTuple):
    """A certificate with everything its standing reads, and the graph and checkpoint, of one snapshot (a
    tuple: made for every answer about a certificate)."""

    found: at_head.AtHead
    events: Sequence[Mapping[Any, Any]]  # its status events in sequence order (none: `found.has_events` false)
    graph: Compiled
    judged_at: dict[str, Any]


def read_certificate(engine: Engine, certificate_id: str) -> CertificateRead | None:
    """A certificate read with the checkpoint, and the graph confirmed at that checkpoint, from one snapshot.

    One statement outside a transaction (`certificates.at_head`, status events included) is that snapshot.
    When its events do not agree with its event count, or the graph is not yet confirmed at its
    checkpoint, the same statement and the events are read again in a read snapshot, with the graph at
    the checkpoint that statement read there: two statements, where `judged_certificate` and
    `compiled.at_checkpoint` take five. None for an unknown certificate: the caller reads the graph in a
    snapshot (`judged_certificate`), so that an unknown authority is still reported first."""
    with single_statements(engine) as connection:
        found = at_head.read(connection, certificate_id)
    if found is None:
        return None
    if found.events is not None:
        confirmed = compiled.confirmed_at(engine, found.tree_size, found.root_hash)
        if confirmed is not None:
            return CertificateRead(found, found.events, *confirmed)
    with read_snapshot(engine) as snapshot:
        again = at_head.read(snapshot, certificate_id)
        if again is None:  # certificates are never deleted; a replaced database is not supported
            return None
        events = certificates.events_of(snapshot, [certificate_id])[certificate_id] if again.has_events else []
        graph, judged = compiled.at_known_checkpoint(snapshot, again.tree_size, again.root_hash)
    return CertificateRead(again, events, graph, judged)


def judged_read(
    read: CertificateRead, *, at: datetime, known_at_us: int | None, at_us: int | None = None
) -> tuple[Presented, CertificateEvidence]:
    """`judged_certificate` for what `read_certificate` read: the same rule over the same inputs. `at_us`:
    `at` in microseconds, when the caller has them (`judge_row`)."""
    found = read.found
    row = found.row
    standing = judge_row(
        row, bytes(row["document"]), found.key, read.events, at=at, known_at_us=known_at_us, at_us=at_us
    )
    return _presented(row, standing), evidence_of(row, read.events, found.key_head)


def _presented(row: Mapping[Any, Any], standing: Standing) -> Presented:
    # Every field by position (programme, category, criteria version, status, signing key valid,
    # credential valid): keywords cost a frozen dataclass's `__init__` a third more.
    return Presented(
        row["programme_id"],
        row["category_code"],
        standing.criteria_version,
        standing.status,
        standing.key_code is None,
        standing.document_sound,
    )


def judged_at(connection: Connection) -> dict[str, Any]:
    """The checkpoint an answer read in this snapshot was computed at."""
    head = log_rows.read_head(connection)
    return checkpoint_json(head.tree_size, base64.b64encode(head.root_hash).decode())


def agreement_heads(graph: Compiled, resolution: Resolution) -> list[dict[str, Any]]:
    """Each agreement on the path as relied on: its leaf and the head of its event chain."""
    if not resolution.path:  # accepted directly, or not at all: no agreement relied on
        return []
    ids = list(dict.fromkeys(hop.agreement_id for hop in resolution.path))
    heads = graph.heads_of(ids)
    return [heads[agreement_id] for agreement_id in ids]


def category_subject(graph: Compiled, programme: str, category: str | None, version: str | None) -> Presented:
    if not graph.has_programme(programme):
        raise NotFound(f"no programme {programme!r}", code="UNKNOWN_PROGRAMME")
    return Presented(programme, category, version)


def answer(
    graph: Compiled,
    presented: Presented,
    target: Requirement,
    *,
    at: datetime,
    known_at_us: int | None,
    max_depth: int,
) -> Resolution:
    return resolve(
        presented,
        target.accepted,
        graph.prepared_for(presented.programme),
        at=at,
        known_at_us=known_at_us,
        max_depth=max_depth,
    )


def render(
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
) -> EquivalenceOut:
    return EquivalenceOut(
        decision=resolution.decision,
        accepted=resolution.accepted,
        date=format_log_time(to_microseconds(at)),
        known_at=format_log_time(to_microseconds(known_at)) if known_at else None,
        subject=SubjectOut(
            certificate_id=certificate_id,
            programme=presented.programme,
            category=presented.category,
            criteria_version=presented.criteria_version,
            status=presented.status,
            signing_key_valid=presented.signing_key_valid if certificate_id else None,
        ),
        requirement=RequirementOut(accepted=target.labels, cpv=target.cpv, cn_procurement=target.cn_procurement),
        path=[
            HopOut(
                agreement_id=hop.agreement_id,
                title=hop.agreement.title,
                announcement=hop.agreement.announcement,
                agreement_type=hop.agreement.agreement_type.value,
                onward_recognition=hop.agreement.onward_recognition,
                mapping_index=hop.mapping_index,
                from_=agreements.scope_out(hop.mapping.from_),
                to=agreements.scope_out(hop.mapping.to),
            )
            for hop in resolution.path
        ],
        conditions=[
            ConditionOut(
                kind=c.kind,
                agreement_id=c.agreement_id,
                programme=c.programme,
                category=c.category,
                criteria=list(c.criteria),
                note=c.note,
            )
            for c in resolution.conditions
        ],
        reasons=[ReasonOut(code=r.code, detail=r.detail, agreement_id=r.agreement_id) for r in resolution.reasons],
        explanation=explain(presented, target.labels, resolution, at),
        judged_at=judged,
        evidence=evidence.to_api() if evidence is not None else None,
        agreement_heads=heads,
    )
