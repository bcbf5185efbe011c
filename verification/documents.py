"""Open a signed document: choose the key from the issuer and kid, verify, then parse the payload.

    document = open_document(token, EcoLabelCertificate, TYP["certificate"], keys.lookup)

The issuer is read from the payload before verification only to choose which programme's key to try.
The token is split once, and its header and payload segments each decoded (`verification.b64`) and
strictly parsed once, here (a signer's header once a process: `jws.protected_header`): the signature is
checked over those same segments, so their parse is the verified payload's, and its issuer must name
that same programme.

The issuer may be the programme's URN or its DID, and the kid a programme-local name or a DID URL
whose fragment is that name (`verification.did`); given a registry's `DidWeb`, a DID must be one of
that registry's. A credential's JWT claims must agree with it (`verification.claims`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from verification.b64 import b64url_decode
from verification.claims import check_credential_claims
from verification.did import DidWeb, programme_of_did, split_did_url
from verification.errors import MalformedInput, UnknownKey
from verification.identifiers import IDENTIFIER_WHITESPACE, WHITESPACE_ERROR_TYPE
from verification.jwk import PublicKey
from verification.jws import check_segments, compact_segments, protected_header
from verification.keys import KeyRecord, require_role_for
from verification.payloads.certificate import EcoLabelCertificate
from verification.payloads.common import ISSUER_PREFIX
from verification.strictjson import loads_strict


class IssuedPayload(Protocol):
    @property
    def programme_id(self) -> str: ...


P = TypeVar("P", bound=IssuedPayload)
KeyLookup = Callable[[str, str], KeyRecord | None]  # (programme_id, kid) -> the key, or None


@dataclass(frozen=True)
class SignedDocument(Generic[P]):
    """A verified document: its header and payload each decoded and strictly parsed once, here.

    Whoever needs the payload later (the rate limiter's programme, storage's rows, the memo of verified
    credentials) reads `payload`, or `claims` for members the model does not keep, never the token.
    """

    token: str
    header: Mapping[str, Any]
    payload: P
    key: KeyRecord
    sha256: str  # hex SHA-256 of the exact token bytes: certificate ids and event chains use it
    claims: Mapping[str, Any]  # the strict parse of the signed payload that `payload` was validated from


M = TypeVar("M", bound=BaseModel)


def logged_payload(token: str | bytes, model: type[M]) -> M:
    """The payload of a JWS that was verified when it was logged, parsed as `model` (not verified again)."""
    text = token.decode("ascii") if isinstance(token, bytes) else token
    return model.model_validate(loads_strict(b64url_decode(text.split(".")[1], what="JWS payload")))


def document_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def open_document(
    token: str, model: type[P], typ: str, lookup: KeyLookup, *, max_depth: int = 32, names: DidWeb | None = None
) -> SignedDocument[P]:
    """Verify `token` and parse its payload as `model`; raise a VerificationError subclass on any fault.

    `names`: the registry whose DIDs an issuer or kid may use; without it, any host's programme DID."""
    if not token.isascii():
        raise MalformedInput("NOT_ASCII", "a JWS compact serialization is ASCII")
    segments = compact_segments(token)  # split once: the header, payload and signature are read from these
    header = protected_header(segments[0])
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise UnknownKey("KID_MISSING", "the JWS header names no key (kid)")
    raw, claimed = _unverified_payload(segments[1], max_depth)
    # U+0000 can only be written as the escape \u0000 (raw control characters are not JSON).
    if b"\\u0000" in raw and _holds_nul(claimed):
        # No profile field needs U+0000, and a registry on PostgreSQL cannot store it in a text column.
        raise MalformedInput("NUL_CHARACTER", "the payload contains U+0000, which no document profile allows")
    issuer = _issuer_id(claimed)
    programme = _programme_named(issuer, names) if issuer is not None else None
    if programme is None:
        raise MalformedInput(
            "BAD_ISSUER", "the payload's issuer must be urn:ecolabel:programme:<id> or the programme's DID here"
        )
    local_kid = _local_kid(kid, programme, names)
    record = lookup(programme, local_kid)
    if record is None:
        raise UnknownKey("UNKNOWN_KID", f"programme {programme!r} has no key {local_kid!r}")
    # The signature covers the payload segment whose bytes `raw` are: they are not decoded again.
    check_segments(segments, header, _public_key(kid, record.public_key), expected_typ=typ, payload=raw)
    require_role_for(record, typ)  # after the signature: a forgery is reported as such, not as a role problem
    try:
        payload = model.model_validate(claimed)  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise PayloadInvalid(exc) from exc
    if payload.programme_id != programme:  # cannot differ: same bytes; kept as a guard against refactoring
        raise MalformedInput("ISSUER_CHANGED", "the verified issuer differs from the one the key was chosen by")
    if isinstance(payload, EcoLabelCertificate):
        check_credential_claims(
            claimed,
            issuer_id=payload.issuer_id,
            credential_id=payload.id,
            valid_from=payload.valid_from,
            valid_until=payload.valid_until,
        )
    return SignedDocument(
        token=token,
        header=header,  # read only (`protected_header`)
        payload=payload,
        key=record,
        sha256=document_sha256(token),
        claims=MappingProxyType(claimed),
    )


@lru_cache(maxsize=1024)  # a pure function: a batch's credentials name one key
def _public_key(kid: str, raw: bytes) -> PublicKey:
    return PublicKey(kid=kid, raw=raw)


def _issuer_id(claimed: Any) -> str | None:
    """The issuer's id as the payload states it: a string, or an object's `id` (VC 2.0 §4.7)."""
    issuer = claimed.get("issuer") if isinstance(claimed, dict) else None
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _programme_named(issuer: str, names: DidWeb | None) -> str | None:
    if issuer.startswith(ISSUER_PREFIX):
        return issuer.removeprefix(ISSUER_PREFIX)
    return names.programme_of(issuer) if names is not None else programme_of_did(issuer)


def _local_kid(kid: str, programme: str, names: DidWeb | None) -> str:
    """The programme-local key name a kid stands for: itself, or a DID URL's fragment (the key's name)."""
    did_url = split_did_url(kid)
    if did_url is None:
        return kid
    did, fragment = did_url
    named = names.programme_of(did) if names is not None else programme_of_did(did)
    if named != programme:
        # A key is found by (issuer's programme, kid): a DID URL naming another DID would otherwise
        # borrow that programme's key name for this one.
        raise UnknownKey("KID_NOT_ISSUER", f"kid {kid!r} is not a key of the issuer's DID (programme {programme!r})")
    return fragment


class PayloadInvalid(MalformedInput):
    """The signature is good but the payload breaks the profile; `errors` lists each problem.

    The code is PAYLOAD_INVALID, or IDENTIFIER_WHITESPACE when an identifier is not in its one
    spelling (`verification.identifiers.Tidy`): that error is named first, since it is the one a
    signer most needs to see.
    """

    def __init__(self, exc: ValidationError) -> None:
        self.errors = [
            {"loc": [str(part) for part in error["loc"]], "msg": error["msg"], "type": error["type"]}
            for error in exc.errors(include_url=False, include_input=False)
        ]
        untidy = [error for error in self.errors if error["type"] == WHITESPACE_ERROR_TYPE]
        first = (untidy or self.errors)[0]
        code = IDENTIFIER_WHITESPACE if untidy else "PAYLOAD_INVALID"
        super().__init__(code, f"{'.'.join(first['loc']) or 'payload'}: {first['msg']}")


def _holds_nul(value: Any) -> bool:
    """Whether any string (value or key) in a parsed JSON document contains U+0000; depth is already bounded."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in key or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _unverified_payload(segment: str, max_depth: int) -> tuple[bytes, Any]:
    """The payload segment's bytes and their strict parse, before any signature check."""
    try:
        raw = b64url_decode(segment, what="the JWS payload")
    except MalformedInput as exc:
        raise MalformedInput("BAD_BASE64", "the JWS payload is not base64url") from exc
    return raw, loads_strict(raw, max_depth=max_depth)
