"""Reason codes a procurement answer gives, shared by single checks and eligibility batches.

The reasons about the certificate itself (status, credential, key) come from `verification.standing`;
these are the ones about matching a catalogue line and a requirement.
"""

from __future__ import annotations

MARKET_NOT_COVERED = "MARKET_NOT_COVERED"
LABEL_NOT_ACCEPTED = "LABEL_NOT_ACCEPTED"
UNKNOWN_CERTIFICATE = "UNKNOWN_CERTIFICATE"
UNKNOWN_LICENCE = "UNKNOWN_LICENCE"
NO_CERTIFICATE_FOR_GTIN = "NO_CERTIFICATE_FOR_GTIN"
MODEL_NOT_COVERED = "MODEL_NOT_COVERED"
