"""Who a token stands for, and whose supply chains it may read: how an auditor finds its work."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from ecolabel_registry.supply import auth, repository
from verification.leaf import format_log_time


class Party(BaseModel):
    id: str
    name: str


class Readable(BaseModel):
    organisation_id: str
    name: str
    via: str = Field(description="own, or auditor_grant")
    until: str | None = Field(description="when the grant ends; null for the caller's own chain")


class Me(BaseModel):
    operator: bool = Field(description="the admin token: reads every chain")
    organisation: Party | None
    scopes: list[str]
    readable: list[Readable] = Field(description="whose supply chains this token may read now")


def describe(connection: Connection, principal: auth.Principal, now_us: int) -> Me:
    """The caller and the chains it may read now: its own, and those of organisations that granted it."""
    if principal.is_operator:
        return Me(operator=True, organisation=None, scopes=[], readable=[])
    own_id = principal.organisation_id or ""
    grants = repository.grants
    rows = connection.execute(
        select(grants.c.organisation_id, grants.c.valid_until_us)
        .where(
            grants.c.auditor_id == own_id,
            grants.c.revoked_us.is_(None),
            grants.c.valid_from_us <= now_us,
            grants.c.valid_until_us > now_us,
        )
        .order_by(grants.c.organisation_id)
    ).all()
    names = repository.organisations_by_id(connection, [own_id, *(row.organisation_id for row in rows)])

    def name(organisation_id: str) -> str:
        found = names.get(organisation_id)
        return str(found["names"].get("en") or next(iter(found["names"].values()))) if found else organisation_id

    readable = [Readable(organisation_id=own_id, name=name(own_id), via="own", until=None)]
    readable += [
        Readable(
            organisation_id=row.organisation_id,
            name=name(row.organisation_id),
            via="auditor_grant",
            until=format_log_time(row.valid_until_us),
        )
        for row in rows
    ]
    return Me(
        operator=False,
        organisation=Party(id=own_id, name=name(own_id)),
        scopes=sorted(scope.value for scope in principal.scopes),
        readable=readable,
    )
