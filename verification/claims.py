"""JWT claims in a credential must say what the credential says (VC-JOSE-COSE §3.1.2, RFC 7519 §4.1).

A verifier built on a plain JWT library reads `iss`, `nbf` and `exp`; this registry reads `issuer`,
`validFrom` and `validUntil`. Where both are present they must agree, so the two kinds of verifier
never reach different verdicts on the same bytes:

- `iss`, when present, equals the issuer's id (the string `issuer`, or `issuer.id`);
- `nbf` and `exp`, when present, are NumericDates equal to `validFrom` and `validUntil` in whole
  POSIX seconds (the credential's times must then have no fraction of a second);
- `iat`, when present, is a NumericDate (its value is the signer's business);
- `jti`, when present, equals `id`; `sub` is refused, since the profile's subject has no `id` it
  could agree with.

Any other registered claim is kept and not interpreted. None of them is required.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from verification.errors import MalformedInput


def _numeric_date(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None and name not in claims:
        return None
    # RFC 7519 §2: a JSON number of seconds since the epoch; a bool is a JSON literal, not a number.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedInput("BAD_NUMERIC_DATE", f"'{name}' must be a NumericDate (seconds since the epoch)")
    return float(value)


def _agrees(claims: Mapping[str, Any], name: str, member: str, moment: datetime) -> None:
    seconds = _numeric_date(claims, name)
    if seconds is None:
        return
    if seconds != moment.timestamp():
        raise MalformedInput(
            f"{name.upper()}_MISMATCH",
            f"'{name}' {seconds:g} is not {member} ({moment.isoformat()} is {moment.timestamp():g})",
        )


def check_credential_claims(
    claims: Mapping[str, Any], *, issuer_id: str, credential_id: str | None, valid_from: datetime, valid_until: datetime
) -> None:
    """Raise `MalformedInput` unless every registered JWT claim present agrees with the credential."""
    if "iss" in claims and claims["iss"] != issuer_id:
        raise MalformedInput("ISS_MISMATCH", f"'iss' {claims['iss']!r} is not the credential's issuer {issuer_id!r}")
    _agrees(claims, "nbf", "validFrom", valid_from)
    _agrees(claims, "exp", "validUntil", valid_until)
    _numeric_date(claims, "iat")
    if "jti" in claims and claims["jti"] != credential_id:
        raise MalformedInput("JTI_MISMATCH", "'jti' must equal the credential's 'id'")
    if "sub" in claims:
        raise MalformedInput("SUB_UNSUPPORTED", "'sub' has no credentialSubject.id to agree with; leave it out")
