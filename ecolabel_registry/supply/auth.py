"""Who may see and write what in the supply chain.

Principals:
- the **operator** (the admin token) reads everything and manages organisations and their tokens;
- an **organisation**, through API tokens the operator issues (`elr_<id>_<secret>`, shown once, stored as
  the SHA-256 of the secret and compared in constant time), each limited to scopes (`Scope`);
- an **auditor** is itself an organisation: a grant from organisation A lets it read A's chain until the
  grant ends or is revoked, with its own tokens' `supply:read` scope.

An organisation's chain (its upstream links, the organisations and facilities on it, and the documents
behind them) is readable by the organisation itself, its granted auditors and the operator: nobody else.
Statements are made by their party alone: only the buyer declares a link and only the supplier confirms
or disputes it; the operator cannot make either statement for them.
Grants are judged at the time of the request, whatever date a query asks about.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy import Connection

from ecolabel_registry.errors import Forbidden, Unauthorized
from ecolabel_registry.supply import repository
from ecolabel_registry.supply.schemas import Scope

TOKEN_PREFIX = "elr"  # noqa: S105  (a public prefix that makes leaked tokens easy to scan for)
# Compared against when the token id is unknown, so that an unknown id takes as long as a wrong secret.
_NO_SUCH_TOKEN = hashlib.sha256(b"no such token").digest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: an organisation (with its token's scopes), or the operator (organisation_id None)."""

    organisation_id: str | None
    scopes: frozenset[Scope]
    token_id: str | None = None

    @property
    def is_operator(self) -> bool:
        return self.organisation_id is None

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"this token lacks the {scope.value} scope", code="SCOPE_MISSING", scope=scope.value)


OPERATOR = Principal(organisation_id=None, scopes=frozenset(Scope))


@dataclass(frozen=True)
class NewToken:
    id: str
    token: str
    secret_sha256: bytes


def new_token() -> NewToken:
    """A token with 256 bits of entropy in its secret: its SHA-256 is safe to store (no salt or KDF needed)."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return NewToken(token_id, f"{TOKEN_PREFIX}_{token_id}_{secret}", hashlib.sha256(secret.encode()).digest())


def authenticate(connection: Connection, presented: str | None, admin_token: SecretStr, now_us: int) -> Principal:
    """The principal a bearer token stands for; `Unauthorized` when it is missing, wrong, revoked or expired."""
    if presented is None:
        raise Unauthorized("send an organisation token or the admin token as a Bearer credential", code="TOKEN_MISSING")
    if hmac.compare_digest(presented.encode(), admin_token.get_secret_value().encode()):
        return OPERATOR
    prefix, _, rest = presented.partition("_")
    token_id, _, secret = rest.partition("_")
    row = repository.token(connection, token_id) if prefix == TOKEN_PREFIX and len(token_id) == 16 else None
    expected = bytes(row["secret_sha256"]) if row is not None else _NO_SUCH_TOKEN
    matches = hmac.compare_digest(hashlib.sha256(secret.encode()).digest(), expected)
    if row is None or not matches:
        raise Unauthorized("the token is not valid", code="TOKEN_INVALID")
    if row["revoked_us"] is not None:
        raise Unauthorized("the token was revoked", code="TOKEN_REVOKED")
    if row["expires_us"] is not None and row["expires_us"] <= now_us:
        raise Unauthorized("the token has expired", code="TOKEN_EXPIRED")
    return Principal(row["organisation_id"], frozenset(Scope(s) for s in row["scopes"]), token_id)


def may_read_chain(connection: Connection, principal: Principal, organisation_id: str, now_us: int) -> bool:
    if principal.is_operator or principal.organisation_id == organisation_id:
        return True
    auditor = principal.organisation_id
    return auditor is not None and bool(repository.grantors_of(connection, auditor, now_us, organisation_id))


def require_chain_reader(connection: Connection, principal: Principal, organisation_id: str, now_us: int) -> None:
    """Refuse unless the caller may read `organisation_id`'s chain (checked before the organisation exists)."""
    principal.require(Scope.READ)
    if not may_read_chain(connection, principal, organisation_id, now_us):
        raise Forbidden(
            "an organisation's supply chain is readable by itself, the auditors it granted access and the operator",
            code="NOT_YOUR_CHAIN",
        )


def require_organisation(principal: Principal, organisation_id: str, scope: Scope, *, operator: bool) -> None:
    """Refuse unless the caller is this organisation (or, when `operator` is true, the operator)."""
    principal.require(scope)
    if principal.organisation_id == organisation_id or (operator and principal.is_operator):
        return
    who = "this organisation or the operator" if operator else "this organisation itself"
    raise Forbidden(f"only {who} may do this", code="NOT_YOUR_ORGANISATION")


def readable_roots(connection: Connection, principal: Principal, now_us: int) -> set[str] | None:
    """The organisations whose chains the caller may read; None means all of them (the operator)."""
    principal.require(Scope.READ)
    if principal.organisation_id is None:
        return None
    return {principal.organisation_id} | repository.grantors_of(connection, principal.organisation_id, now_us)


def require_operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise Forbidden("only the operator (the admin token) may do this", code="OPERATOR_ONLY")
