"""Registering programmes (operator only) and reading them back.

The registration document is logged as the exact bytes the operator sent, so a monitor replaying the
log learns every programme's first keys from the log itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from ecolabel_registry.errors import Conflict, NotFound, ValidationFailed
from ecolabel_registry.log import service as log
from ecolabel_registry.programmes import keys, repository
from ecolabel_registry.programmes.schemas import (
    KeyOut,
    KeySet,
    ProgrammeOut,
    ProgrammeRegistration,
)
from verification.errors import VerificationError
from verification.jwk import PublicKey, parse_public_jwk
from verification.leaf import DocumentKind, format_log_time
from verification.note import NoteSigner
from verification.receipt import Receipt


def _parse_keys(registration: ProgrammeRegistration) -> list[PublicKey]:
    keys: list[PublicKey] = []
    for position, jwk in enumerate(registration.keys):
        try:
            keys.append(parse_public_jwk(jwk))
        except VerificationError as exc:
            raise ValidationFailed(f"keys[{position}]: {exc.detail}", code=exc.code) from exc
    kids = [key.kid for key in keys]
    if len(set(kids)) != len(kids):
        raise ValidationFailed("key ids (kid) must be unique within a programme", code="DUPLICATE_KID")
    return keys


def register(
    connection: Connection, signer: NoteSigner, registration: ProgrammeRegistration, document: bytes
) -> tuple[ProgrammeOut, Receipt]:
    """Store a programme with its first keys and log the registration, in the caller's transaction."""
    keys = _parse_keys(registration)
    if repository.exists(connection, registration.id):
        raise Conflict(f"programme {registration.id!r} is already registered")
    (receipt,) = log.append(connection, signer, [log.Document(DocumentKind.PROGRAMME, document)])
    values: dict[str, Any] = {
        "id": registration.id,
        "names": dict(registration.names),
        "countries": list(registration.countries),
        "website": str(registration.website) if registration.website else None,
        "gen_member": registration.gen_member,
        "accreditation_notes": registration.accreditation_notes,
        "registered_leaf_index": receipt.leaf_index,
        "registered_us": receipt.integrated_us,
    }
    key_rows = [
        {
            "programme_id": registration.id,
            "kid": key.kid,
            "public_key": key.raw,
            "added_us": receipt.integrated_us,
            "added_leaf_index": receipt.leaf_index,
        }
        for key in keys
    ]
    try:
        repository.insert_programme(connection, values, key_rows)
    except IntegrityError as exc:  # a concurrent registration of the same id won the race
        raise Conflict(f"programme {registration.id!r} is already registered") from exc
    return _programme_out(values), receipt


def _programme_out(values: Any) -> ProgrammeOut:
    return ProgrammeOut(
        id=values["id"],
        names=values["names"],
        countries=values["countries"],
        website=values["website"],
        gen_member=values["gen_member"],
        accreditation_notes=values["accreditation_notes"],
        registered_at=format_log_time(values["registered_us"]),
        registered_leaf_index=values["registered_leaf_index"],
    )


def get(connection: Connection, programme_id: str) -> ProgrammeOut:
    row = repository.get(connection, programme_id)
    if row is None:
        raise NotFound(f"no programme {programme_id!r}")
    return _programme_out(row._mapping)


def page(connection: Connection, after: str | None, limit: int) -> tuple[list[ProgrammeOut], str | None]:
    rows = repository.page(connection, after, limit + 1)
    items = [_programme_out(row._mapping) for row in rows[:limit]]
    return items, (items[-1].id if len(rows) > limit else None)


def key_set(connection: Connection, programme_id: str) -> KeySet:
    if not repository.exists(connection, programme_id):
        raise NotFound(f"no programme {programme_id!r}")
    out = []
    for record in keys.of_programme(connection, programme_id):
        jwk = PublicKey(kid=record.kid, raw=record.public_key).to_jwk()
        out.append(
            KeyOut(
                kty=jwk["kty"],
                crv=jwk["crv"],
                x=jwk["x"],
                kid=record.kid,
                status=record.status,
                valid_from=format_log_time(record.added_us),
                valid_until=format_log_time(record.ended_us) if record.ended_us is not None else None,
                compromised_since=(
                    format_log_time(record.compromised_since_us) if record.compromised_since_us is not None else None
                ),
            )
        )
    return KeySet(
        programme_id=programme_id,
        keys=out,
        next_key_event={"sequence": keys.key_event_count(connection, programme_id) + 1},
    )
