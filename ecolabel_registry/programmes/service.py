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
    KeyRoleOut,
    KeySet,
    ProgrammeOut,
    ProgrammeRegistration,
)
from verification.errors import VerificationError
from verification.jwk import PublicKey, parse_public_jwk
from verification.keys import KeyRecord, KeyRing
from verification.leaf import DocumentKind, format_log_time
from verification.note import NoteSigner
from verification.receipt import Receipt


def _parse_keys(jwks: list[dict[str, Any]], field: str) -> list[PublicKey]:
    keys: list[PublicKey] = []
    for position, jwk in enumerate(jwks):
        try:
            keys.append(parse_public_jwk(jwk))
        except VerificationError as exc:
            raise ValidationFailed(f"{field}[{position}]: {exc.detail}", code=exc.code) from exc
    return keys


def register(
    connection: Connection, signer: NoteSigner, registration: ProgrammeRegistration, document: bytes
) -> tuple[ProgrammeOut, Receipt]:
    """Store a programme with its root and signing keys and log the registration, in the caller's transaction."""
    roots, signing = _parse_keys(registration.root_keys, "root_keys"), _parse_keys(registration.keys, "keys")
    try:  # the same rules a replay of the log applies to the logged registration
        KeyRing.registered(
            registration.id, roots=roots, signing=signing, threshold=registration.root_threshold, logged_us=0
        )
    except VerificationError as exc:
        raise ValidationFailed(exc.detail, code=exc.code) from exc
    if repository.exists(connection, registration.id):
        raise Conflict(f"programme {registration.id!r} is already registered")
    (receipt,) = log.append(connection, signer, [log.Document(DocumentKind.PROGRAMME, document)])
    ring = KeyRing.registered(
        registration.id,
        roots=roots,
        signing=signing,
        threshold=registration.root_threshold,
        logged_us=receipt.integrated_us,
    )
    values: dict[str, Any] = {
        "id": registration.id,
        "names": dict(registration.names),
        "countries": list(registration.countries),
        "website": str(registration.website) if registration.website else None,
        "gen_member": registration.gen_member,
        "accreditation_notes": registration.accreditation_notes,
        "registered_leaf_index": receipt.leaf_index,
        "registered_us": receipt.integrated_us,
        "root_threshold": ring.threshold,
    }
    try:
        repository.insert_programme(connection, values)
        keys.insert_keys(connection, ring.keys, receipt.leaf_index)
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
        root_threshold=values["root_threshold"],
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
                role=_role(record),
                valid_from=format_log_time(record.added_us),
                valid_until=format_log_time(record.ended_us) if record.ended_us is not None else None,
                compromised_since=(
                    format_log_time(record.compromised_since_us) if record.compromised_since_us is not None else None
                ),
            )
        )
    ring = keys.ring(connection, programme_id)
    return KeySet(
        programme_id=programme_id,
        keys=out,
        root_threshold=ring.threshold,
        next_key_event={"sequence": ring.sequence + 1},
    )


def _role(record: KeyRecord) -> KeyRoleOut:
    if record.root and record.signing:
        return KeyRoleOut.ROOT_AND_SIGNING
    return KeyRoleOut.ROOT if record.root else KeyRoleOut.SIGNING
