"""Status events, key events and category definitions: validated, typed and signed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from certifiers.events import (
    ChainBroken,
    category_definition,
    criteria_document,
    key_added,
    key_retired,
    key_revoked,
    next_position,
    sign_category,
    sign_key_event,
    sign_status_event,
    status_event,
)
from certifiers.keys import SigningKey
from verification.ed25519 import generate_private_key
from verification.jws import verify_compact
from verification.payloads import (
    TYP,
    CategoryDefinition,
    CertificateStatusEvent,
    Crosswalk,
    KeyAction,
    KeyEvent,
    StatusChange,
)

CERTIFICATE = "aa" * 32
WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_the_first_event_links_to_the_credential_and_later_ones_to_the_previous_event() -> None:
    assert next_position(CERTIFICATE, []) == (1, CERTIFICATE)
    assert next_position(CERTIFICATE, [(2, "cc" * 32), (1, "bb" * 32)]) == (3, "cc" * 32)


def test_a_history_with_a_gap_is_refused() -> None:
    with pytest.raises(ChainBroken):
        next_position(CERTIFICATE, [(1, "bb" * 32), (3, "cc" * 32)])


def test_a_status_event_is_signed_with_its_own_typ(signer: SigningKey) -> None:
    event = status_event(
        programme="cn-cel",
        certificate_id=CERTIFICATE,
        sequence=1,
        previous=CERTIFICATE,
        status=StatusChange.SUSPENDED,
        effective_at=WHEN,
        reason="failed audit",
    )
    token = sign_status_event(event, signer)
    verified = verify_compact(token, signer.public, expected_typ=TYP["certificate_event"])
    assert CertificateStatusEvent.model_validate_json(verified.payload) == event
    assert b'"effectiveAt":"2026-03-01T09:30:00Z"' in verified.payload


def test_renewal_needs_a_new_end_and_naive_datetimes_are_refused() -> None:
    def event(status: StatusChange, effective_at: datetime) -> object:
        return status_event(
            programme="cn-cel",
            certificate_id=CERTIFICATE,
            sequence=1,
            previous=CERTIFICATE,
            status=status,
            effective_at=effective_at,
            reason="x",
        )

    with pytest.raises(ValidationError, match="validUntil is required for renewed"):
        event(StatusChange.RENEWED, WHEN)
    with pytest.raises(ValidationError, match="time zone"):
        event(StatusChange.SUSPENDED, datetime(2026, 3, 1))  # noqa: DTZ001  # naive on purpose


def test_key_events_carry_the_right_members(signer: SigningKey) -> None:
    new = SigningKey("cel-key-2", generate_private_key())
    added = key_added("cn-cel", 1, new.public_jwk())
    retired = key_retired("cn-cel", 2, "cel-key-1", "rotation")
    revoked = key_revoked("cn-cel", 3, "cel-key-1", WHEN, "laptop stolen")
    assert (added.action, added.key, added.kid) == (KeyAction.ADD, new.public_jwk(), None)
    assert (retired.action, retired.kid, retired.compromised_since) == (KeyAction.RETIRE, "cel-key-1", None)
    assert (revoked.action, revoked.compromised_since) == (KeyAction.REVOKE, WHEN)
    for event in (added, retired, revoked):
        verified = verify_compact(sign_key_event(event, signer), signer.public, expected_typ=TYP["key_event"])
        assert KeyEvent.model_validate_json(verified.payload) == event


def test_a_category_definition_is_signed_with_its_crosswalk(signer: SigningKey) -> None:
    category = category_definition(
        programme="cn-cel",
        code="HJ 2536",
        names={"en": "Office paper", "zh": "办公用纸"},
        criteria=criteria_document("HJ 2536-2016", "2016", WHEN),
        crosswalk=Crosswalk(cpv=["30197630-1"], cn_procurement=["A02010104"], hs=["4802"]),
    )
    verified = verify_compact(sign_category(category, signer), signer.public, expected_typ=TYP["category"])
    assert CategoryDefinition.model_validate_json(verified.payload) == category
    assert b'"cnProcurement":["A02010104"]' in verified.payload


def test_a_category_needs_an_english_name() -> None:
    with pytest.raises(ValidationError, match='names must include "en"'):
        category_definition(
            programme="cn-cel", code="X", names={"zh": "纸"}, criteria=criteria_document("D", "1", WHEN)
        )
