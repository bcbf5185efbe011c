"""Build and sign the other documents a programme publishes: status events, key events, categories.

Status events form a hash chain per certificate: event n names the SHA-256 of event n-1's exact JWS
bytes, and event 1 names the credential's (which is the certificate id). `next_position` works that out
from the history the registry returns, so a signer never has to keep the chain itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from certifiers.keys import SigningKey
from certifiers.signing import sign_payload
from verification.payloads import (
    TYP,
    CategoryDefinition,
    CertificateStatusEvent,
    CriteriaDocument,
    Crosswalk,
    KeyAction,
    KeyEvent,
    KeyEventApproval,
    KeyRole,
    StatusChange,
    issuer_for,
)


class ChainBroken(Exception):
    """The registry's event history for a certificate is not the contiguous chain 1, 2, …, n."""


def next_position(certificate_id: str, history: Sequence[tuple[int, str]]) -> tuple[int, str]:
    """(sequence, previous) for the next status event, from the (sequence, sha256) pairs of the history."""
    ordered = sorted(history)
    if [sequence for sequence, _ in ordered] != list(range(1, len(ordered) + 1)):
        raise ChainBroken(f"certificate {certificate_id} has event sequences {[s for s, _ in ordered]}, not 1..n")
    return (len(ordered) + 1, ordered[-1][1]) if ordered else (1, certificate_id)


def status_event(
    *,
    programme: str,
    certificate_id: str,
    sequence: int,
    previous: str,
    status: StatusChange,
    effective_at: datetime,
    reason: str,
    valid_until: datetime | None = None,
) -> CertificateStatusEvent:
    """A validated status event; naive datetimes are refused by the payload model."""
    document: dict[str, Any] = {
        "type": "CertificateStatusEvent",
        "issuer": issuer_for(programme),
        "certificate": certificate_id,
        "sequence": sequence,
        "previous": previous,
        "status": status.value,
        "effectiveAt": effective_at,
        "reason": reason,
    }
    if valid_until is not None:
        document["validUntil"] = valid_until
    return CertificateStatusEvent.model_validate(document)


def sign_status_event(event: CertificateStatusEvent, signer: SigningKey) -> str:
    return sign_payload(event, TYP["certificate_event"], signer)


def key_added(
    programme: str,
    sequence: int,
    public_jwk: Mapping[str, str],
    reason: str | None = None,
    *,
    role: KeyRole = KeyRole.SIGNING,
) -> KeyEvent:
    """Add a signing key (or, with `role`, a root key); a root key of the programme signs the event."""
    members: dict[str, Any] = {"key": dict(public_jwk), "reason": reason}
    if role is KeyRole.ROOT:
        members["role"] = role.value
    return _key_event(programme, sequence, KeyAction.ADD, **members)


def key_retired(programme: str, sequence: int, kid: str, reason: str | None = None) -> KeyEvent:
    """Retire a key in good standing: what it signed before stays valid, it signs nothing new."""
    return _key_event(programme, sequence, KeyAction.RETIRE, kid=kid, reason=reason)


def key_revoked(programme: str, sequence: int, kid: str, compromised_since: datetime, reason: str) -> KeyEvent:
    """Revoke a compromised key: documents it signed that were logged after `compromised_since` stop verifying."""
    return _key_event(programme, sequence, KeyAction.REVOKE, kid=kid, compromisedSince=compromised_since, reason=reason)


def _key_event(programme: str, sequence: int, action: KeyAction, **members: Any) -> KeyEvent:
    document = {"type": "KeyEvent", "issuer": issuer_for(programme), "sequence": sequence, "action": action.value}
    document.update({name: value for name, value in members.items() if value is not None})
    return KeyEvent.model_validate(document)


def sign_key_event(event: KeyEvent, root: SigningKey) -> str:
    """Key events are signed with a root key: the registry refuses them from signing keys."""
    return sign_payload(event, TYP["key_event"], root)


def key_event_approval(programme: str, event_sha256: str) -> KeyEventApproval:
    """A further root key's approval of a proposed key event (when the programme's threshold is above one)."""
    return KeyEventApproval.model_validate(
        {"type": "KeyEventApproval", "issuer": issuer_for(programme), "event": event_sha256}
    )


def sign_key_event_approval(approval: KeyEventApproval, root: SigningKey) -> str:
    return sign_payload(approval, TYP["key_event_approval"], root)


def category_definition(
    *,
    programme: str,
    code: str,
    names: Mapping[str, str],
    criteria: CriteriaDocument,
    crosswalk: Crosswalk | None = None,
    description: str | None = None,
) -> CategoryDefinition:
    document: dict[str, Any] = {
        "type": "CategoryDefinition",
        "issuer": issuer_for(programme),
        "code": code,
        "names": dict(names),
        "criteria": criteria,
        "crosswalk": crosswalk or Crosswalk(),
    }
    if description is not None:
        document["description"] = description
    return CategoryDefinition.model_validate(document)


def criteria_document(
    document_id: str,
    version: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    transition_end: datetime | None = None,
) -> CriteriaDocument:
    members = {"validUntil": valid_until, "transitionEnd": transition_end}
    return CriteriaDocument.model_validate(
        {
            "id": document_id,
            "version": version,
            "validFrom": valid_from,
            **{name: value for name, value in members.items() if value is not None},
        }
    )


def sign_category(category: CategoryDefinition, signer: SigningKey) -> str:
    return sign_payload(category, TYP["category"], signer)
