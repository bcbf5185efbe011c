"""Reason codes a procurement answer gives, shared by single checks and eligibility batches."""

from __future__ import annotations

from verification.status import CertificateStatus

STATUS_REASONS: dict[CertificateStatus, str] = {
    CertificateStatus.SUSPENDED: "CERTIFICATE_SUSPENDED",
    CertificateStatus.EXPIRED: "CERTIFICATE_EXPIRED",
    CertificateStatus.WITHDRAWN: "CERTIFICATE_WITHDRAWN",
    CertificateStatus.NOT_YET_VALID: "CERTIFICATE_NOT_YET_VALID",
}
SIGNING_KEY_REVOKED = "SIGNING_KEY_REVOKED"
SIGNATURE_INVALID = "SIGNATURE_INVALID"
MARKET_NOT_COVERED = "MARKET_NOT_COVERED"
LABEL_NOT_ACCEPTED = "LABEL_NOT_ACCEPTED"
UNKNOWN_CERTIFICATE = "UNKNOWN_CERTIFICATE"
UNKNOWN_LICENCE = "UNKNOWN_LICENCE"
NO_CERTIFICATE_FOR_GTIN = "NO_CERTIFICATE_FOR_GTIN"
MODEL_NOT_COVERED = "MODEL_NOT_COVERED"


def status_reasons(status: CertificateStatus) -> list[str]:
    reason = STATUS_REASONS.get(status)
    return [reason] if reason else []
