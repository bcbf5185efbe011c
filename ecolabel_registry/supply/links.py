"""Supply links: the buyer declares, the supplier confirms or disputes (with a reason).

As on FSC's claims platform, the customer records the supplier's claim and the supplier accepts it or
marks a problem. A link's id is the SHA-256 of the declaration's exact bytes, so re-sending the same
declaration returns the original link and receipt instead of a second link. Confirmations and disputes
form a chain like certificate status events: each names the SHA-256 of the link's latest document as
`previous`, so a replayed or reordered event is refused. A disputed link can later be confirmed and a
confirmed one disputed; the same statement twice in a row is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping

from ecolabel_registry.errors import Conflict, Forbidden, HistoryConflict, NotFound, ValidationFailed
from ecolabel_registry.log import service as log
from ecolabel_registry.supply import auth, link_repository
from ecolabel_registry.supply.outputs import LinkEventOut, LinkOut, LinkState, NextLinkEvent
from ecolabel_registry.supply.parties import Action, append, record, resolve_facility, resolve_party
from ecolabel_registry.supply.schemas import Evidence, LinkConfirmation, LinkDeclaration, LinkDispute, PartyRef, Scope
from ecolabel_registry.supply.timeline import instant_us
from verification.leaf import format_log_time
from verification.note import NoteSigner
from verification.receipt import Receipt


def declare(
    connection: Connection, signer: NoteSigner, principal: auth.Principal, body: LinkDeclaration, document: bytes
) -> tuple[LinkOut, Receipt, bool]:
    auth.require_organisation(principal, body.buyer_id, Scope.WRITE, operator=False)
    link_id = hashlib.sha256(document).hexdigest()
    reservation = log.reserve(connection)
    stored = link_repository.link(connection, link_id)
    if stored is not None:  # the identical bytes again: a retry, answered with the original
        events = link_repository.events_of(connection, [link_id])[link_id]
        return link_out(stored, events), log.receipt_for(connection, stored["leaf_index"]), False
    now = reservation.integrated_us
    occurred_us = instant_us(body.occurred_at, now)
    if occurred_us > now:
        raise ValidationFailed("occurred_at is in the future", code="OCCURRED_IN_FUTURE")
    resolve_party(connection, PartyRef(organisation_id=body.buyer_id), "buyer")
    supplier_id = resolve_party(connection, body.supplier, "supplier")
    if supplier_id == body.buyer_id:
        raise ValidationFailed("a supply link joins two different organisations", code="SELF_LINK")
    facility_id = None
    if body.supplier_facility is not None:
        facility = resolve_facility(connection, body.supplier_facility)
        if facility["organisation_id"] != supplier_id:
            raise ValidationFailed("the facility belongs to another organisation", code="FACILITY_NOT_SUPPLIERS")
        facility_id = facility["id"]
    row: dict[str, Any] = {
        "id": link_id,
        "buyer_id": body.buyer_id,
        "supplier_id": supplier_id,
        "supplier_facility_id": facility_id,
        "gtin": body.gtin,
        "material": body.material,
        "share": body.share,
        "volume": body.volume.amount if body.volume else None,
        "unit": body.volume.unit if body.volume else None,
        "valid_from_us": instant_us(body.valid_from, 0),
        "valid_to_us": instant_us(body.valid_to, 0) if body.valid_to is not None else None,
        "evidence": [e.model_dump(mode="json", exclude_none=True) for e in body.evidence],
        "evidence_count": len(body.evidence),
        "state": LinkState.DECLARED.value,
        "state_reason": None,
        "occurred_us": occurred_us,
        "event_count": 0,
        "last_document_sha256": link_id,
    }
    existing = link_repository.overlapping(connection, row)
    if existing is not None:
        raise Conflict(
            "a link between these organisations for this product or material already covers part of this period",
            code="LINK_OVERLAPS",
            existing_link=existing,
        )
    receipt = append(connection, signer, reservation, document)
    row |= {"recorded_us": receipt.integrated_us, "leaf_index": receipt.leaf_index}
    link_repository.insert_link(connection, row)
    record(connection, receipt, Action.LINK_DECLARATION, owner=body.buyer_id, subject=link_id, party=supplier_id)
    return link_out(row, []), receipt, True


def confirm(
    connection: Connection,
    signer: NoteSigner,
    principal: auth.Principal,
    *,
    link_id: str,
    body: LinkConfirmation,
    document: bytes,
) -> tuple[LinkOut, Receipt]:
    return _answer(
        connection,
        signer,
        principal,
        link_id=link_id,
        body=body,
        document=document,
        state=LinkState.CONFIRMED,
        reason=None,
    )


def dispute(
    connection: Connection,
    signer: NoteSigner,
    principal: auth.Principal,
    *,
    link_id: str,
    body: LinkDispute,
    document: bytes,
) -> tuple[LinkOut, Receipt]:
    return _answer(
        connection,
        signer,
        principal,
        link_id=link_id,
        body=body,
        document=document,
        state=LinkState.DISPUTED,
        reason=body.reason,
    )


def _answer(
    connection: Connection,
    signer: NoteSigner,
    principal: auth.Principal,
    *,
    link_id: str,
    body: LinkConfirmation | LinkDispute,
    document: bytes,
    state: LinkState,
    reason: str | None,
) -> tuple[LinkOut, Receipt]:
    """The supplier's statement about a declared link (confirmation or dispute)."""
    if body.link != link_id:
        raise ValidationFailed("the body names another link than the path", code="PATH_MISMATCH")
    reservation = log.reserve(connection)
    row = link_repository.link(connection, link_id)
    if row is None:
        # Link ids are SHA-256 hashes of declarations: unguessable, so "not declared" reveals nothing.
        raise NotFound(f"no link {link_id} has been declared", code="LINK_NOT_DECLARED")
    auth.require_organisation(principal, row["supplier_id"], Scope.WRITE, operator=False)
    if row["state"] == state.value:
        raise Conflict(f"the link is already {state.value}", code=f"LINK_ALREADY_{state.name}")
    sha256 = hashlib.sha256(document).hexdigest()
    if body.previous != row["last_document_sha256"]:
        raise HistoryConflict(
            "previous must be the SHA-256 of the link's latest document (see next_event)",
            code="PREVIOUS_MISMATCH",
            expected=row["last_document_sha256"],
        )
    now = reservation.integrated_us
    occurred_us = instant_us(body.occurred_at, now)
    if occurred_us > now:
        raise ValidationFailed("occurred_at is in the future", code="OCCURRED_IN_FUTURE")
    receipt = append(connection, signer, reservation, document)
    event = {
        "link_id": link_id,
        "sequence": row["event_count"] + 1,
        "action": state.value,
        "reason": reason,
        "occurred_us": occurred_us,
        "recorded_us": receipt.integrated_us,
        "sha256": sha256,
        "leaf_index": receipt.leaf_index,
    }
    if not link_repository.append_event(
        connection, event, expected_count=row["event_count"], state=state.value, reason=reason
    ):
        raise HistoryConflict("the link changed meanwhile; read it and try again", code="CONCURRENT_EVENT")
    action = Action.LINK_CONFIRMATION if state is LinkState.CONFIRMED else Action.LINK_DISPUTE
    record(connection, receipt, action, owner=row["buyer_id"], subject=link_id, party=row["supplier_id"])
    updated = link_repository.link(connection, link_id)
    if updated is None:  # unreachable: the row was read under the same lock
        raise NotFound(f"no link {link_id}")
    return link_out(updated, link_repository.events_of(connection, [link_id])[link_id]), receipt


def may_read_link(connection: Connection, principal: auth.Principal, row: RowMapping, now_us: int) -> bool:
    """A link is part of its buyer's chain; the supplier, as a party to it, may read it too."""
    return principal.organisation_id == row["supplier_id"] or auth.may_read_chain(
        connection, principal, row["buyer_id"], now_us
    )


def get(connection: Connection, principal: auth.Principal, link_id: str, now_us: int) -> LinkOut:
    principal.require(Scope.READ)
    row = link_repository.link(connection, link_id)
    if row is None:
        raise NotFound(f"no link {link_id}")
    if not may_read_link(connection, principal, row, now_us):
        raise Forbidden("a link is readable by its buyer's chain readers and its supplier", code="NOT_YOUR_CHAIN")
    return link_out(row, link_repository.events_of(connection, [link_id])[link_id])


def page(
    connection: Connection,
    principal: auth.Principal,
    organisation_id: str,
    *,
    role: str,
    state: LinkState | None,
    cursor: str | None,
    limit: int,
    now_us: int,
) -> tuple[list[LinkOut], str | None]:
    """The organisation's links as buyer (its chain's readers) or as supplier (itself and the operator only:
    who it sells to is its own business, not its auditors')."""
    if role == "buyer":
        auth.require_chain_reader(connection, principal, organisation_id, now_us)
    else:
        auth.require_organisation(principal, organisation_id, Scope.READ, operator=True)
    rows = link_repository.page(
        connection, organisation_id, role=role, state=state.value if state else None, after=cursor, limit=limit + 1
    )
    events = link_repository.events_of(connection, [row["id"] for row in rows[:limit]])
    items = [link_out(row, events[row["id"]]) for row in rows[:limit]]
    return items, (items[-1].id if len(rows) > limit else None)


def link_out(row: RowMapping | dict[str, Any], events: Sequence[RowMapping]) -> LinkOut:
    return LinkOut(
        id=row["id"],
        buyer_id=row["buyer_id"],
        supplier_id=row["supplier_id"],
        supplier_facility_id=row["supplier_facility_id"],
        gtin=row["gtin"],
        material=row["material"],
        share=row["share"],
        volume=row["volume"],
        unit=row["unit"],
        valid_from=format_log_time(row["valid_from_us"]),
        valid_to=format_log_time(row["valid_to_us"]) if row["valid_to_us"] is not None else None,
        evidence=[Evidence.model_validate(e) for e in row["evidence"]],
        state=LinkState(row["state"]),
        state_reason=row["state_reason"],
        occurred_at=format_log_time(row["occurred_us"]),
        recorded_at=format_log_time(row["recorded_us"]),
        leaf_index=row["leaf_index"],
        events=[
            LinkEventOut(
                sequence=e["sequence"],
                action=LinkState(e["action"]),
                reason=e["reason"],
                occurred_at=format_log_time(e["occurred_us"]),
                recorded_at=format_log_time(e["recorded_us"]),
                sha256=e["sha256"],
                leaf_index=e["leaf_index"],
            )
            for e in events
        ],
        next_event=NextLinkEvent(previous=row["last_document_sha256"]),
    )
