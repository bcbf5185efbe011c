"""One call per thing a programme does at the registry: build, sign, send, and check the receipt.

These are what the CLI runs; each returns the registry's answer only after its receipt verified
offline against the registry's checkpoint key (`ReceiptRejected` otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from certifiers.client import CertifierClient
from certifiers.events import (
    ChainBroken,
    key_added,
    key_retired,
    next_position,
    sign_key_event,
    sign_status_event,
    status_event,
)
from certifiers.keys import SigningKey
from certifiers.receipts import check_certificate, check_written
from certifiers.responses import Submitted, Written
from verification.leaf import DocumentKind
from verification.note import NoteVerifier
from verification.payloads import StatusChange


def registration_body(
    *,
    programme_id: str,
    names: Mapping[str, str],
    countries: Sequence[str],
    keys: Sequence[Mapping[str, str]],
    gen_member: bool,
    website: str | None = None,
    accreditation_notes: str | None = None,
) -> dict[str, Any]:
    """The body of POST /v1/programmes; the registry validates it (names need "en", keys need a kid)."""
    return {
        "id": programme_id,
        "names": dict(names),
        "countries": list(countries),
        "website": website,
        "gen_member": gen_member,
        "accreditation_notes": accreditation_notes,
        "keys": [dict(key) for key in keys],
    }


def register_programme(client: CertifierClient, body: dict[str, Any], verifier: NoteVerifier) -> Written:
    written = client.register_programme(body)
    check_written(written, DocumentKind.PROGRAMME, verifier)
    return written


def define_category(client: CertifierClient, programme: str, token: str, verifier: NoteVerifier) -> Written:
    written = client.define_category(programme, token)
    check_written(written, DocumentKind.CATEGORY, verifier)
    return written


def submit_credential(client: CertifierClient, token: str, verifier: NoteVerifier) -> Submitted:
    submitted = client.submit(token)
    check_certificate(token, submitted.certificate_id, submitted.receipt, verifier)
    return submitted


def change_status(
    client: CertifierClient,
    signer: SigningKey,
    certificate_id: str,
    *,
    status: StatusChange,
    effective_at: datetime,
    reason: str,
    verifier: NoteVerifier,
    valid_until: datetime | None = None,
) -> Written:
    """Append a status event: the certificate's history says which sequence and previous hash come next."""
    certificate = client.get_certificate(certificate_id)
    sequence, previous = next_position(certificate.id, certificate.chain)
    published = certificate.body.get("next_event")
    if isinstance(published, dict) and (published.get("sequence"), published.get("previous")) != (sequence, previous):
        # The history and the registry's own summary of it disagree: signing either would be a guess.
        raise ChainBroken(f"the registry says the next event is {published}, its history says {sequence}/{previous}")
    event = status_event(
        programme=certificate.programme_id,
        certificate_id=certificate.id,
        sequence=sequence,
        previous=previous,
        status=status,
        effective_at=effective_at,
        reason=reason,
        valid_until=valid_until,
    )
    written = client.submit_event(certificate.id, sign_status_event(event, signer))
    check_written(written, DocumentKind.CERTIFICATE_EVENT, verifier)
    return written


def next_key_sequence(client: CertifierClient, programme: str) -> int:
    """The sequence number the programme's next key event must carry.

    The registry counts key events but does not publish the count, so it is derived from the key
    history: each key added after registration is one `add`, each ended key one `retire`/`revoke`. A
    retired key that is later revoked took two events but shows one end; the registry then answers
    history-conflict, and the caller passes the sequence explicitly.
    """
    key_set = client.programme_keys(programme)
    published = key_set.get("next_key_event")
    sequence = published.get("sequence") if isinstance(published, dict) else None
    if isinstance(sequence, int):
        return sequence  # preferred, if the registry publishes it
    registered_at = client.get_programme(programme).get("registered_at")
    history = [key for key in key_set.get("keys", []) if isinstance(key, dict)]
    added = sum(bool(key.get("valid_from") != registered_at) for key in history)
    ended = sum(key.get("valid_until") is not None for key in history)
    return added + ended + 1


def rotate_key(
    client: CertifierClient,
    programme: str,
    old: SigningKey,
    new: SigningKey,
    *,
    sequence: int,
    verifier: NoteVerifier,
    reason: str = "scheduled key rotation",
) -> tuple[Written, Written]:
    """Add `new` (signed by `old`, which is trusted now), then retire `old` (signed by `new`, trusted since).

    `sequence` is the programme's next key-event number. If the retirement fails, the new key is
    already active and the old one still is too: rerun the retirement alone with the next sequence.
    """
    added = client.submit_key_event(
        programme, sign_key_event(key_added(programme, sequence, new.public_jwk(), reason), old)
    )
    check_written(added, DocumentKind.KEY_EVENT, verifier)
    retired = client.submit_key_event(
        programme, sign_key_event(key_retired(programme, sequence + 1, old.kid, reason), new)
    )
    check_written(retired, DocumentKind.KEY_EVENT, verifier)
    return added, retired
