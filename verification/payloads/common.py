"""Shared pieces of the payload types: timestamps, names, issuer URNs and the JWS `typ` of each kind."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, StringConstraints

from verification.did import programme_of_did

# Explicit typing (RFC 8725 §3.11): a signature over one kind of document is never accepted as another.
TYP: Final = {
    "certificate": "vc+jwt",  # VC-JOSE-COSE §3.1.1
    "certificate_event": "ecolabel-status-event+jwt",
    "key_event": "ecolabel-key-event+jwt",
    "category": "ecolabel-category+jwt",
    "agreement": "ecolabel-agreement+jwt",
    "agreement_signature": "ecolabel-agreement-signature+jwt",
    "agreement_event": "ecolabel-agreement-event+jwt",
    "key_event_approval": "ecolabel-key-event-approval+jwt",
    "agreement_event_approval": "ecolabel-agreement-event-approval+jwt",
    "programme_recovery": "ecolabel-programme-recovery+jwt",
}
# The documents only a programme's root keys may sign (TUF's root role); every other kind is signed by
# its signing keys, which in turn may never sign these.
ROOT_SIGNED: Final = frozenset({TYP["key_event"], TYP["key_event_approval"]})

ISSUER_PREFIX: Final = "urn:ecolabel:programme:"
# RFC 3339 §5.6 with the field ranges Python reads (no year 0, no leap second, offsets below 24 hours);
# which days a month has is the JSON Schema `date-time` format's to say.
TIMESTAMP_PATTERN: Final = (
    r"^(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
_RFC3339 = re.compile(TIMESTAMP_PATTERN.replace("^", "\\A", 1).removesuffix("$") + "\\Z")


def parse_timestamp(value: object) -> datetime:
    # XML Schema dateTimeStamp as VC 2.0 requires: a string with a time zone, never a bare number.
    if isinstance(value, str):
        return _parse_text(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a time zone")
        return value.astimezone(UTC)
    raise ValueError(_NOT_RFC3339)


_NOT_RFC3339: Final = "timestamps are RFC 3339 strings with a time zone, e.g. 2026-01-31T00:00:00Z"


@lru_cache(maxsize=4096)  # a pure function of the text; the credentials of one batch share their validity dates
def _parse_text(value: str) -> datetime:
    if not _RFC3339.match(value):
        raise ValueError(_NOT_RFC3339)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except OverflowError as exc:  # 9999-12-31T23:00:00-02:00 is past the year 9999 in UTC
        raise ValueError("the instant is outside the years 1 to 9999 in UTC") from exc


def _json_number(value: object) -> object:
    """JSON Schema's `integer` is a JSON number (1, 1.0); lax parsing would also take "1" and true."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a JSON number")
    return value


# Last in an `Annotated[...]`, so that it runs before the type's own checks.
JsonNumber: Final = BeforeValidator(_json_number)


def _format_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


Timestamp = Annotated[
    datetime,
    BeforeValidator(parse_timestamp),
    PlainSerializer(_format_timestamp, return_type=str),
    Field(json_schema_extra={"type": "string", "format": "date-time", "pattern": TIMESTAMP_PATTERN}),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=False)]
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
# A member whose name is not a language tag is refused (`patternProperties` alone would let it pass).
Names = Annotated[
    dict[LanguageTag, Text], Field(min_length=1, max_length=20, json_schema_extra={"additionalProperties": False})
]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", min_length=2, max_length=64)]
CertificateId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


def present_only_when(member: str, flag: str, values: list[str]) -> dict[str, Any]:
    """JSON Schema: `member` is present (and not null) exactly when `flag` is one of `values`."""
    absent = {"anyOf": [{"not": {"required": [member]}}, {"properties": {member: {"type": "null"}}}]}
    return {
        "if": {"properties": {flag: {"enum": values}}},
        "then": {"required": [member], "properties": {member: {"not": {"type": "null"}}}},
        "else": absent,
    }


def issuer_for(programme_id: str) -> str:
    return ISSUER_PREFIX + programme_id


def programme_of_issuer(issuer: str) -> str | None:
    """The programme slug an issuer names: its URN, or its DID (`did:web:<host>:programmes:<id>`, any host;
    `verification.did.DidWeb.programme_of` also checks the host), else None."""
    if issuer.startswith(ISSUER_PREFIX):
        return issuer.removeprefix(ISSUER_PREFIX)
    return programme_of_did(issuer)


class Payload(BaseModel):
    """Frozen and validated on construction; unknown top-level members are kept, not dropped."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True, str_strip_whitespace=False)


class Part(BaseModel):
    """A nested structure: frozen, and unknown members are refused (a typo must not pass silently)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
