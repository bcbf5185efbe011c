"""Every query on proposals and their approvals, in SQLAlchemy Core."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from ecolabel_registry.db.models import LogEntry, ProposalApproval, ProposedEvent

proposals = ProposedEvent.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes
approvals = ProposalApproval.__table__  # type: ignore[attr-defined]
entries = LogEntry.__table__  # type: ignore[attr-defined]


class ProposalKind(StrEnum):
    KEY_EVENT = "key_event"
    AGREEMENT_EVENT = "agreement_event"


def get(connection: Connection, kind: ProposalKind, subject: str, sha256: str) -> RowMapping | None:
    """The proposal with its exact signed bytes (`document`), if it is one of `subject`'s."""
    query = (
        select(proposals, entries.c.document)
        .join(entries, entries.c.leaf_index == proposals.c.leaf_index)
        .where(proposals.c.sha256 == sha256, proposals.c.kind == kind.value, proposals.c.subject == subject)
    )
    return connection.execute(query).mappings().first()


def pending(connection: Connection, kind: ProposalKind, subject: str, after_sequence: int) -> list[RowMapping]:
    """Proposals not applied whose sequence is still free (the others are stale), oldest first."""
    query = (
        select(proposals, entries.c.document)
        .join(entries, entries.c.leaf_index == proposals.c.leaf_index)
        .where(
            proposals.c.kind == kind.value,
            proposals.c.subject == subject,
            proposals.c.applied_us.is_(None),
            proposals.c.sequence > after_sequence,
        )
        .order_by(proposals.c.leaf_index)
    )
    return list(connection.execute(query).mappings())


def signers(connection: Connection, sha256: str) -> list[str]:
    query = select(approvals.c.signer).where(approvals.c.proposal_sha256 == sha256).order_by(approvals.c.signed_us)
    return list(connection.execute(query).scalars())


def signers_of(connection: Connection, shas: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {sha: [] for sha in shas}
    if shas:
        query = (
            select(approvals.c.proposal_sha256, approvals.c.signer)
            .where(approvals.c.proposal_sha256.in_(shas))
            .order_by(approvals.c.signed_us)
        )
        for sha, signer in connection.execute(query):
            found[sha].append(signer)
    return found


def insert_proposal(connection: Connection, row: dict[str, Any], proposer: str) -> None:
    connection.execute(insert(proposals), [row])
    record_approval(
        connection,
        {
            "proposal_sha256": row["sha256"],
            "signer": proposer,
            "sha256": row["sha256"],
            "leaf_index": None,
            "signed_us": row["integrated_us"],
        },
    )


def record_approval(connection: Connection, row: dict[str, Any]) -> None:
    connection.execute(insert(approvals), [row])


def mark_applied(connection: Connection, sha256: str, applied_us: int) -> None:
    connection.execute(update(proposals).where(proposals.c.sha256 == sha256).values(applied_us=applied_us))
