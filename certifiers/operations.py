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
    key_event_approval,
    key_retired,
    next_position,
    sign_key_event,
    sign_key_event_approval,
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
    root_keys: Sequence[Mapping[str, str]],
    keys: Sequence[Mapping[str, str]],
    gen_member: bool,
    root_threshold: int = 1,
    website: str | None = None,
    accreditation_notes: str | None = None,
) -> dict[str, Any]:
    """The body of POST /v1/programmes; the registry validates it (names need "en", keys need a kid).

    `root_keys` (a threshold of them) alone authorise later key events; `keys` sign daily documents.
    """
    return {
        "id": programme_id,
        "names": dict(names),
        "countries": list(countries),
        "website": website,
        "gen_member": gen_member,
        "accreditation_notes": accreditation_notes,
        "root_keys": [dict(key) for key in root_keys],
        "root_threshold": root_threshold,
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
    """The sequence number the programme's next key event must carry, as the registry publishes it."""
    published = client.programme_keys(programme).get("next_key_event")
    sequence = published.get("sequence") if isinstance(published, dict) else None
    if not isinstance(sequence, int):
        raise ChainBroken(f"the registry did not say which key event of {programme} comes next")
    return sequence


def submit_key_event(client: CertifierClient, programme: str, token: str, verifier: NoteVerifier) -> Written:
    """Send one root-signed key event; the answer says whether it applied or waits for more roots."""
    written = client.submit_key_event(programme, token)
    check_written(written, DocumentKind.KEY_EVENT, verifier)
    return written


def rotate_key(
    client: CertifierClient,
    programme: str,
    root: SigningKey,
    old_kid: str,
    new: SigningKey,
    *,
    sequence: int,
    verifier: NoteVerifier,
    reason: str = "scheduled key rotation",
) -> tuple[Written, Written]:
    """Add the signing key `new`, then retire `old_kid`, both key events signed by the root key `root`.

    `sequence` is the programme's next key-event number. With a root threshold above one each event
    waits (state "pending") for the other roots' approvals (`approve_key_event`); the retirement is then
    proposed only once the addition has applied, so rerun this after the approvals.
    """
    added = submit_key_event(
        client, programme, sign_key_event(key_added(programme, sequence, new.public_jwk(), reason), root), verifier
    )
    if added.body.get("state") != "applied":
        return added, added
    retired = submit_key_event(
        client, programme, sign_key_event(key_retired(programme, sequence + 1, old_kid, reason), root), verifier
    )
    return added, retired


def approve_key_event(
    client: CertifierClient, programme: str, event_sha256: str, root: SigningKey, verifier: NoteVerifier
) -> Written:
    """A further root key approves a proposed key event, after checking it is one the registry has pending."""
    pending = client.pending_key_events(programme).get("items", [])
    if not any(isinstance(item, dict) and item.get("event_sha256") == event_sha256 for item in pending):
        raise ChainBroken(f"the registry has no pending key event {event_sha256} of {programme}")
    token = sign_key_event_approval(key_event_approval(programme, event_sha256), root)
    written = client.approve_key_event(programme, event_sha256, token)
    check_written(written, DocumentKind.KEY_EVENT_APPROVAL, verifier)
    return written
