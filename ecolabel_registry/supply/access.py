"""Organisation tokens (issued by the operator), auditor grants (given by an organisation), and reading the
logged documents back so that a reader can check them against the public log's hash commitments.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, RowMapping

from ecolabel_registry.errors import Conflict, NotFound, ValidationFailed
from ecolabel_registry.log import service as log
from ecolabel_registry.supply import auth, repository
from ecolabel_registry.supply.outputs import GrantOut, TokenOut
from ecolabel_registry.supply.parties import Action, append, record, resolve_party
from ecolabel_registry.supply.schemas import GrantRequest, GrantRevocation, Scope, TokenRequest, TokenRevocation
from ecolabel_registry.supply.timeline import instant_us
from verification.leaf import format_log_time
from verification.note import NoteSigner
from verification.receipt import Receipt


def issue_token(
    connection: Connection,
    signer: NoteSigner,
    organisation_id: str,
    body: TokenRequest,
    document: bytes,
    *,
    principal: auth.Principal,
) -> tuple[str, TokenOut, Receipt]:
    """A new token for the organisation (operator only). The secret is returned once."""
    auth.require_operator(principal)
    reservation = log.reserve(connection)
    if repository.organisation(connection, organisation_id) is None:
        raise NotFound(f"no organisation {organisation_id}")
    expires_us = instant_us(body.expires_at, 0) if body.expires_at is not None else None
    if expires_us is not None and expires_us <= reservation.integrated_us:
        raise ValidationFailed("expires_at is not in the future", code="EXPIRY_IN_PAST")
    created = auth.new_token()
    receipt = append(connection, signer, reservation, document)
    row: dict[str, Any] = {
        "id": created.id,
        "organisation_id": organisation_id,
        "secret_sha256": created.secret_sha256,
        "scopes": sorted({scope.value for scope in body.scopes}),
        "label": body.label,
        "created_us": receipt.integrated_us,
        "expires_us": expires_us,
        "revoked_us": None,
        "leaf_index": receipt.leaf_index,
    }
    repository.insert_token(connection, row)
    record(connection, receipt, Action.TOKEN, owner=organisation_id, subject=created.id, party=None)
    return created.token, token_out(row), receipt


def revoke_token(
    connection: Connection,
    signer: NoteSigner,
    *,
    organisation_id: str,
    token_id: str,
    body: TokenRevocation,
    document: bytes,
    principal: auth.Principal,
) -> tuple[TokenOut, Receipt]:
    """Revoke an organisation's token (operator only)."""
    auth.require_operator(principal)
    if body.token != token_id:
        raise ValidationFailed("the body names another token than the path", code="PATH_MISMATCH")
    reservation = log.reserve(connection)
    row = repository.token(connection, token_id)
    if row is None or row["organisation_id"] != organisation_id:
        raise NotFound(f"organisation {organisation_id} has no token {token_id}")
    if row["revoked_us"] is not None:
        raise Conflict("the token is already revoked", code="TOKEN_ALREADY_REVOKED")
    receipt = append(connection, signer, reservation, document)
    repository.revoke_token(connection, token_id, receipt.integrated_us)
    record(connection, receipt, Action.TOKEN_REVOCATION, owner=organisation_id, subject=token_id, party=None)
    return token_out({**row, "revoked_us": receipt.integrated_us}), receipt


def grant_auditor(
    connection: Connection,
    signer: NoteSigner,
    principal: auth.Principal,
    *,
    organisation_id: str,
    body: GrantRequest,
    document: bytes,
) -> tuple[GrantOut, Receipt]:
    """Let an auditor read this organisation's chain until `valid_until` (the organisation's own act)."""
    auth.require_organisation(principal, organisation_id, Scope.GRANT, operator=False)
    reservation = log.reserve(connection)
    auditor_id = resolve_party(connection, body.auditor, "auditor")
    if auditor_id == organisation_id:
        raise ValidationFailed("an organisation always reads its own chain", code="SELF_GRANT")
    until_us = instant_us(body.valid_until, 0)
    if until_us <= reservation.integrated_us:
        raise ValidationFailed("valid_until is not in the future", code="GRANT_END_IN_PAST")
    if repository.active_grant_to(connection, organisation_id, auditor_id, reservation.integrated_us) is not None:
        raise Conflict("this auditor already holds an active grant; revoke it first", code="GRANT_EXISTS")
    receipt = append(connection, signer, reservation, document)
    row: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "organisation_id": organisation_id,
        "auditor_id": auditor_id,
        "valid_from_us": receipt.integrated_us,
        "valid_until_us": until_us,
        "revoked_us": None,
        "leaf_index": receipt.leaf_index,
    }
    repository.insert_grant(connection, row)
    record(connection, receipt, Action.GRANT, owner=organisation_id, subject=row["id"], party=auditor_id)
    return grant_out(row), receipt


def revoke_grant(
    connection: Connection,
    signer: NoteSigner,
    principal: auth.Principal,
    *,
    organisation_id: str,
    grant_id: str,
    body: GrantRevocation,
    document: bytes,
) -> tuple[GrantOut, Receipt]:
    auth.require_organisation(principal, organisation_id, Scope.GRANT, operator=False)
    if body.grant != grant_id:
        raise ValidationFailed("the body names another grant than the path", code="PATH_MISMATCH")
    reservation = log.reserve(connection)
    row = repository.grant(connection, grant_id)
    if row is None or row["organisation_id"] != organisation_id:
        raise NotFound(f"organisation {organisation_id} has no grant {grant_id}")
    if row["revoked_us"] is not None:
        raise Conflict("the grant is already revoked", code="GRANT_ALREADY_REVOKED")
    if row["valid_until_us"] <= reservation.integrated_us:
        raise Conflict("the grant has already ended", code="GRANT_ENDED")
    receipt = append(connection, signer, reservation, document)
    repository.revoke_grant(connection, grant_id, receipt.integrated_us)
    record(
        connection, receipt, Action.GRANT_REVOCATION, owner=organisation_id, subject=grant_id, party=row["auditor_id"]
    )
    return grant_out({**row, "revoked_us": receipt.integrated_us}), receipt


def grants(connection: Connection, principal: auth.Principal, organisation_id: str) -> list[GrantOut]:
    auth.require_organisation(principal, organisation_id, Scope.READ, operator=True)
    return [grant_out(row) for row in repository.grants_of(connection, organisation_id)]


# Grants and tokens are the organisation's own business, as their listings are (`grants`: itself and the
# operator; tokens: the operator): its auditors read the chain's documents and their own grant (as its
# named party), never who else was admitted or which tokens exist.
_OWN_BUSINESS = frozenset({Action.TOKEN, Action.TOKEN_REVOCATION, Action.GRANT, Action.GRANT_REVOCATION})


def may_read_document(connection: Connection, principal: auth.Principal, row: RowMapping, now_us: int) -> bool:
    """The chain's readers for documents of the chain (registrations, links and the suppliers' answers);
    the organisation itself and the operator for its grants and tokens; and always the party it names."""
    if principal.organisation_id is not None and principal.organisation_id == row["party_id"]:
        return True
    if Action(row["action"]) in _OWN_BUSINESS:
        return principal.is_operator or principal.organisation_id == row["organisation_id"]
    return auth.may_read_chain(connection, principal, row["organisation_id"], now_us)


def read_document(connection: Connection, principal: auth.Principal, leaf_index: int, now_us: int) -> RowMapping:
    """A logged supply-chain document, for those who may read it (`may_read_document`)."""
    principal.require(Scope.READ)
    row = repository.document(connection, leaf_index)
    if row is None or not may_read_document(connection, principal, row, now_us):
        # One answer for "no such document" and "not yours": leaf indexes are sequential, so telling the
        # two apart would let anyone enumerate which leaves are supply-chain documents of whom.
        raise NotFound(f"no supply-chain document at leaf {leaf_index} that this token may read")
    return row


def document_receipt(connection: Connection, principal: auth.Principal, leaf_index: int, now_us: int) -> Receipt:
    read_document(connection, principal, leaf_index, now_us)
    return log.receipt_for(connection, leaf_index)


def token_out(row: RowMapping | dict[str, Any]) -> TokenOut:
    return TokenOut(
        id=row["id"],
        organisation_id=row["organisation_id"],
        scopes=[Scope(s) for s in row["scopes"]],
        label=row["label"],
        created_at=format_log_time(row["created_us"]),
        expires_at=format_log_time(row["expires_us"]) if row["expires_us"] is not None else None,
        revoked_at=format_log_time(row["revoked_us"]) if row["revoked_us"] is not None else None,
        leaf_index=row["leaf_index"],
    )


def grant_out(row: RowMapping | dict[str, Any]) -> GrantOut:
    return GrantOut(
        id=row["id"],
        organisation_id=row["organisation_id"],
        auditor_id=row["auditor_id"],
        valid_from=format_log_time(row["valid_from_us"]),
        valid_until=format_log_time(row["valid_until_us"]),
        revoked_at=format_log_time(row["revoked_us"]) if row["revoked_us"] is not None else None,
        leaf_index=row["leaf_index"],
    )
