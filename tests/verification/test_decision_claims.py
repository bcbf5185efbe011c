"""Decisions carry the JWT registered claim names iss and iat; decisions signed before still verify."""

from __future__ import annotations

from typing import Any

import pytest

from ecolabel_registry.signer import registered_claims
from tests.docs.examples_registry import claims, decision
from tests.docs.keys import LOG_ORIGIN, REGISTRY_KEY
from verification.canonical import dumps_canonical
from verification.decision import EligibilityDecision, verify_decision
from verification.errors import MalformedInput
from verification.jwk import PublicKey
from verification.jws import sign_compact

KEY = PublicKey.from_private_key(REGISTRY_KEY)


def _signed(payload: dict[str, Any]) -> str:
    return sign_compact(dumps_canonical(payload), REGISTRY_KEY, KEY.kid, "ecolabel-decision+jwt")


def test_a_decision_names_its_issuer_and_time_with_registered_claims() -> None:
    payload = verify_decision(decision(), KEY)
    assert isinstance(payload, EligibilityDecision)
    assert (payload.iss, payload.iat, payload.issuer, payload.issued_at) == (LOG_ORIGIN, 1772357460, None, None)
    assert payload.origin == LOG_ORIGIN


def test_the_signer_turns_issuer_and_issued_at_into_iss_and_iat() -> None:
    old = {"type": "EligibilityDecision", "issuer": LOG_ORIGIN, "issuedAt": "2026-03-01T09:31:00.000000Z"}
    assert registered_claims(old) == {"type": "EligibilityDecision", "iss": LOG_ORIGIN, "iat": 1772357460}


def test_a_decision_signed_with_the_earlier_names_still_verifies() -> None:
    earlier = {key: value for key, value in claims().items() if key not in ("iss", "iat")}
    earlier.update(issuer=LOG_ORIGIN, issuedAt="2026-03-01T09:31:00.000000Z")
    payload = verify_decision(_signed(earlier), KEY)
    assert payload.origin == LOG_ORIGIN


@pytest.mark.parametrize(
    "change",
    [
        {"issuer": LOG_ORIGIN},  # both names for the issuer
        {"iss": None},  # no issuer at all
        {"iat": "2026-03-01T09:31:00Z"},  # iat is a NumericDate
    ],
)
def test_a_decision_naming_its_issuer_twice_or_not_at_all_is_refused(change: dict[str, Any]) -> None:
    payload = {**claims(), **change}
    payload = {key: value for key, value in payload.items() if value is not None}
    with pytest.raises(MalformedInput):
        verify_decision(_signed(payload), KEY)
