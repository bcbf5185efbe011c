"""A certificate's standing on a date: the one rule every answer about a certificate applies.

Lookup, single verification, catalogue eligibility, recognition (equivalence and TRQP) and the
supply-chain views all ask this function, and an offline verifier asks it with what it replayed from
the log, so no two paths can disagree about one certificate:

    standing = judge(Presented(certificate_id, document, record, key, changes), at=date)
    standing.valid, standing.status, standing.reasons

It judges, in this order: the document (its SHA-256 is the certificate id, its signature verifies with
the named key, and the stored record says what the credential says), the signing key's state at the
certificate's log time (a key revoked as compromised before that instant vouches for nothing), the
status chain and the validity dates on the date (`verification.status`), and it reports the criteria
version the credential itself names. A failure is a reason code in the result, never an exception: a
batch answer lists every certificate's reasons.

Checking a signature costs far more than everything else together, so verified credentials are
memoized per process (`_VERIFIED`). The memo is keyed by the certificate id, the SHA-256 of the exact
bytes and the key (kid and public key): a verification is a pure function of those, so an entry can
never become wrong; altered bytes or another key are another key of the memo and are checked afresh.
Nothing is shared between processes and nothing needs invalidating. Whole standings are memoized the
same way (`_JUDGED`), keyed by every input of the rule, for catalogues that ask about the same
certificates on the same date request after request. Ingest verifies every credential
before it logs it, and enters it here (`remember_verified`), so a fresh certificate's first standing
does not verify it a second time; a catalogue check verifies its first sights by `read_credential` ahead
of its standings, on two threads (`verification.first_sight`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from sys import intern
from typing import Any, NamedTuple

from verification.did import split_did_url
from verification.documents import SignedDocument
from verification.errors import KeyNotValid, MalformedInput, UnknownKey, VerificationError
from verification.jwk import PublicKey
from verification.jws import read_protected_header, verify_compact
from verification.keys import KeyRecord, require_key_valid_at, require_role_for
from verification.leaf import from_microseconds, to_microseconds
from verification.payloads import TYP, EcoLabelCertificate
from verification.payloads.common import parse_timestamp, programme_of_issuer
from verification.status import CertificateStatus, Change, Lifecycle, status_as_of, status_of_unchanged
from verification.strictjson import loads_strict

# Reason codes; the status ones are shared with `verification.recognition`'s.
DOCUMENT_ALTERED = "DOCUMENT_ALTERED"  # the stored bytes do not hash to the certificate id
SIGNATURE_INVALID = "SIGNATURE_INVALID"  # the bytes do not verify with the key they name
RECORD_MISMATCH = "RECORD_MISMATCH"  # the stored record says something the credential does not
SIGNING_KEY_UNKNOWN = "SIGNING_KEY_UNKNOWN"  # the programme has no such key
STATUS_REASONS: dict[CertificateStatus, str] = {
    CertificateStatus.SUSPENDED: "CERTIFICATE_SUSPENDED",
    CertificateStatus.EXPIRED: "CERTIFICATE_EXPIRED",
    CertificateStatus.WITHDRAWN: "CERTIFICATE_WITHDRAWN",
    CertificateStatus.NOT_YET_VALID: "CERTIFICATE_NOT_YET_VALID",
}
DOCUMENT_REASONS = frozenset({DOCUMENT_ALTERED, SIGNATURE_INVALID, RECORD_MISMATCH, SIGNING_KEY_UNKNOWN})


class Credential(NamedTuple):
    """What a verified credential says, in the units the rules use (a tuple: made and compared for every
    certificate of a 10,000-line catalogue)."""

    programme_id: str
    licence_number: str
    category_code: str
    criteria_version: str
    valid_from_us: int
    valid_until_us: int
    kid: str


@dataclass(frozen=True, slots=True)
class Presented:
    """One certificate as a store holds it: the credential bytes, the record derived from them at ingest,
    the signing key's record, the status changes in sequence order and the certificate's log time."""

    certificate_id: str
    document: bytes
    record: Credential
    key: KeyRecord | None
    integrated_us: int
    changes: Sequence[Change] = ()


@dataclass(frozen=True, slots=True)
class Standing:
    """The answer, and why: `reasons` is empty exactly when the certificate is sound and active."""

    certificate_id: str
    status: CertificateStatus
    valid_until_us: int
    criteria_version: str
    signature_valid: bool
    key_code: str | None  # why the signing key does not vouch for it (KeyNotValid codes), or None
    reasons: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.reasons and self.status is CertificateStatus.ACTIVE

    @property
    def document_sound(self) -> bool:
        """The stored bytes are the certificate's, verify, and the record matches them."""
        return not DOCUMENT_REASONS.intersection(self.reasons)


def judge(presented: Presented, *, at: datetime, known_at_us: int | None = None) -> Standing:
    """The certificate's standing on `at`, counting only status changes logged by `known_at_us` when given."""
    p, changes = presented, presented.changes
    if not isinstance(changes, tuple):  # a list cannot key the memo: judged as it is
        return _judge(presented, at, known_at_us, hashlib.sha256(presented.document).digest())
    digest = hashlib.sha256(p.document).digest()
    asked = _asked(
        p.certificate_id, digest, p.record, p.key, p.integrated_us, changes=changes, at=at, known_at_us=known_at_us
    )
    return _JUDGED.get(asked) or _judged(asked, presented, digest, at, known_at_us)


def judge_stored(
    certificate_id: str,
    document: bytes,
    record: Credential,
    key: KeyRecord | None,
    *,
    integrated_us: int,
    changes: tuple[Change, ...],
    at: datetime,
    digest: bytes | None = None,
    at_us: int | None = None,
) -> Standing:
    """`judge(Presented(certificate_id, document, record, key, integrated_us, changes), at=at)`, for a
    store asking about thousands of certificates: a standing already given is found without building
    the `Presented` first (`StoredOnDate` for one certificate). `digest` and `at_us`: see `StoredOnDate`."""
    return StoredOnDate(at, at_us)(
        certificate_id, document, record, key, integrated_us=integrated_us, changes=changes, digest=digest
    )


class StoredOnDate:
    """`judge_stored` for many certificates on one date: the date's microseconds are taken once, and
    each key record's fields once (a catalogue's certificates name a handful of keys). The memo's key,
    and so every standing, is the one `judge` makes (`_memo_key`; tests/verification/test_standing.py)."""

    __slots__ = ("_at", "_at_us", "_fields")

    def __init__(self, at: datetime, at_us: int | None = None) -> None:
        """`at_us`: `at` in microseconds, when the caller has the instant in them already (an answer made
        "as of now" from the clock's microseconds; `to_microseconds` is ~3,400 instructions)."""
        self._at = at
        self._at_us = to_microseconds(at) if at_us is None else at_us
        self._fields: dict[int, tuple[KeyRecord, _KeyFields | None]] = {}  # id(key) -> the key (held), its fields

    def __call__(
        self,
        certificate_id: str,
        document: bytes,
        record: Credential,
        key: KeyRecord | None,
        *,
        integrated_us: int,
        changes: tuple[Change, ...],
        digest: bytes | None = None,
    ) -> Standing:
        """`digest`: the SHA-256 of `document` when the caller took it already, of these very bytes (the
        ingest that opened them, for an answer made just after their commit), else taken here. It keys
        the memo and is held against `certificate_id` as the bytes' own digest would be."""
        if digest is None:
            digest = hashlib.sha256(document).digest()
        fields = None
        if key is not None:
            held = self._fields.get(id(key))
            if held is None or held[0] is not key:
                fields = key_fields(key)
                if fields is not None:
                    # The one tuple `_KEY_FIELDS` keeps for equal fields, when there is one: the memo's
                    # entries hold it, so that their keys' fields compare by identity, not field by field.
                    fields = _KEY_FIELDS.get(fields, fields)
                held = self._fields[id(key)] = (key, fields)
            fields = held[1]
        # `_memo_key(..., at=self._at, at_us=self._at_us, known_at_us=None)`, inline: it runs for every
        # certificate of a catalogue (tests/verification/test_standing.py holds the two to one standing).
        when: datetime | CertificateStatus = self._at
        if not changes:
            when = status_of_unchanged(record.valid_from_us, record.valid_until_us, self._at_us)
        asked = (certificate_id, digest, record, fields, integrated_us, changes, when, None)
        known = _JUDGED.get(asked)
        if known is not None:
            return known
        presented = Presented(certificate_id, document, record, key, integrated_us, changes)
        return _judged(asked, presented, digest, self._at, None, at_us=self._at_us)


def _asked(
    certificate_id: str,
    digest: bytes,
    record: Credential,
    key: KeyRecord | None,
    integrated_us: int,
    *,
    changes: tuple[Change, ...],
    at: datetime,
    known_at_us: int | None,
) -> _Asked:
    """The memo's key: what `judge` reads, the bytes by their SHA-256, with the date as it counts.

    Without status changes (and asked without `known_at_us`) the date counts only through where it falls
    against the validity dates (`status_of_unchanged`), so every date of one phase has one standing: a
    check "as of now" is asked at a new microsecond each time, and would otherwise never be answered here.
    """
    at_us = to_microseconds(at)
    fields = key_fields(key)
    return _memo_key(
        certificate_id,
        digest,
        record,
        fields,
        integrated_us=integrated_us,
        changes=changes,
        at=at,
        at_us=at_us,
        known_at_us=known_at_us,
    )


def _memo_key(
    certificate_id: str,
    digest: bytes,
    record: Credential,
    fields: _KeyFields | None,
    *,
    integrated_us: int,
    changes: tuple[Change, ...],
    at: datetime,
    at_us: int,
    known_at_us: int | None,
) -> _Asked:
    """`_asked` from the key's fields and the date's microseconds already taken."""
    when: datetime | CertificateStatus = at
    if not changes and known_at_us is None:
        when = status_of_unchanged(record.valid_from_us, record.valid_until_us, at_us)
    return (certificate_id, digest, record, fields, integrated_us, changes, when, known_at_us)


def key_fields(key: KeyRecord | None) -> _KeyFields | None:
    """Every field of the key record, in a plain tuple: the memo's key hashes and compares it in C, where
    the frozen dataclass's own hash and equality are Python calls for every certificate of a catalogue."""
    if key is None:
        return None
    return (
        key.programme_id,
        key.kid,
        key.public_key,
        key.added_us,
        key.ended_us,
        key.compromised_since_us,
        key.root,
        key.signing,
    )


def _judged(
    asked: _Asked,
    presented: Presented,
    digest: bytes,
    at: datetime,
    known_at_us: int | None,
    *,
    at_us: int | None = None,
) -> Standing:
    known = _judge(presented, at, known_at_us, digest, at_us=at_us)
    if not isinstance(asked[6], datetime) and RECORD_MISMATCH in known.reasons:
        return known  # judged on the credential's own dates, which the record's phase does not name
    key = presented.key
    verified = (
        None if key is None else _VERIFIED.get((presented.certificate_id, digest, key.kid, key.public_key, key.signing))
    )
    if verified is not None and verified == asked[2]:
        # The record says what the verified credential says: the entry keeps the one object `_VERIFIED`
        # keeps (equal, so the same key), not a second copy of its fields made for this request.
        cid, _, _, fields, integrated_us, changes, when, known_at = asked
        asked = (cid, digest, verified, fields, integrated_us, changes, when, known_at)
    with _VERIFIED_LOCK:
        if asked[3] is not None:  # one tuple per key record for every entry it signed, not one per entry
            if len(_KEY_FIELDS) >= _KEY_FIELDS_MAX:
                _KEY_FIELDS.clear()
            fields = _KEY_FIELDS.setdefault(asked[3], asked[3])
            asked = (asked[0], asked[1], asked[2], fields, asked[4], asked[5], asked[6], asked[7])
        if len(_JUDGED) >= _JUDGED_MAX:
            _JUDGED.clear()  # as `_VERIFIED`: refilling costs one judgement per certificate
        _JUDGED[asked] = known
    return known


def _judge(
    presented: Presented, at: datetime, known_at_us: int | None, digest: bytes, *, at_us: int | None = None
) -> Standing:
    """`digest` is the SHA-256 of `presented.document`, taken once by the caller (who keys the memo by it);
    `at_us`, when given, is `at` in microseconds, as the caller took it."""
    reasons: list[str] = []
    verified, document_reason = _credential(presented, digest)
    credential = verified or presented.record  # without a verified credential: judged on the record, never valid
    if document_reason is not None:
        reasons.append(document_reason)
    elif credential != presented.record:
        reasons.append(RECORD_MISMATCH)
    key_code = None
    if presented.key is not None:
        try:
            require_key_valid_at(presented.key, presented.integrated_us)
        except KeyNotValid as exc:
            key_code = exc.code
            reasons.append(exc.code)
    if presented.changes or known_at_us is not None:
        lifecycle = Lifecycle(
            from_microseconds(credential.valid_from_us),
            from_microseconds(credential.valid_until_us),
            tuple(presented.changes),
        )
        answer = status_as_of(lifecycle, at=at, known_at_us=known_at_us)
        status, valid_until_us = answer.status, to_microseconds(answer.valid_until)
    else:
        at_us = to_microseconds(at) if at_us is None else at_us
        status = status_of_unchanged(credential.valid_from_us, credential.valid_until_us, at_us)
        valid_until_us = credential.valid_until_us
    if status in STATUS_REASONS:
        reasons.insert(0, STATUS_REASONS[status])
    return Standing(
        certificate_id=presented.certificate_id,
        status=status,
        valid_until_us=valid_until_us,
        criteria_version=credential.criteria_version,
        signature_valid=document_reason is None,
        key_code=key_code,
        reasons=tuple(reasons),
    )


def read_credential(
    certificate_id: str, document: bytes, key: KeyRecord | None
) -> tuple[Credential | None, str | None]:
    """The verified credential (memoized), or None and the reason code it is not the certificate's."""
    placeholder = Credential("", "", "", "", 0, 0, "")
    return _credential(Presented(certificate_id, document, placeholder, key, 0), hashlib.sha256(document).digest())


def remembered(certificate_id: str, key: KeyRecord) -> bool:
    """Whether this process verified, with `key`, the credential whose SHA-256 is `certificate_id` (the bytes
    a standing finds intact; other bytes are refused as altered before the memo is asked)."""
    try:
        digest = bytes.fromhex(certificate_id)
    except ValueError:
        return False
    return _verified_key(certificate_id, digest, key) in _VERIFIED


def _verified_key(certificate_id: str, digest: bytes, key: KeyRecord) -> tuple[str, bytes, str, bytes, bool]:
    """`_VERIFIED`'s key: the certificate id, the SHA-256 of the bytes given and the key (kid, public key,
    role). `_judged` spells it inline, on the path every warm standing takes."""
    return (certificate_id, digest, key.kid, key.public_key, key.signing)


def _credential(presented: Presented, digest: bytes) -> tuple[Credential, None] | tuple[None, str]:
    """`digest` is the SHA-256 of `presented.document`, taken once by the caller."""
    document, key = presented.document, presented.key
    if digest.hex() != presented.certificate_id:
        return None, DOCUMENT_ALTERED
    if key is None:
        return None, SIGNING_KEY_UNKNOWN
    seen = _verified_key(presented.certificate_id, digest, key)
    known = _VERIFIED.get(seen)
    if known is not None:
        return known, None
    try:
        # The signature and the key's role, as at ingest; the payload was validated against the profile
        # then, so only the fields the rules use are read back (a full model parse doubled a cold check).
        require_role_for(key, TYP["certificate"])
        token = document.decode("ascii")
        try:
            verified = verify_compact(
                token, PublicKey(kid=key.kid, raw=key.public_key), expected_typ=TYP["certificate"]
            )
        except UnknownKey:  # the header may name the key by DID URL: `did:web:…#<kid>`
            named = PublicKey(kid=_kid_in(token, key.kid), raw=key.public_key)
            verified = verify_compact(token, named, expected_typ=TYP["certificate"])
    except (VerificationError, UnicodeDecodeError):
        return None, SIGNATURE_INVALID  # a failure is not remembered: it is rare, and cheap to find again
    try:
        credential = _read(loads_strict(verified.payload), verified.header.get("kid"))
    except (MalformedInput, KeyError, TypeError, ValueError, AttributeError):
        return None, RECORD_MISMATCH  # signed, but not a credential the registry could have accepted
    _remember(seen, credential)
    return credential, None


def remember_verified(document: SignedDocument[EcoLabelCertificate]) -> None:
    """Enter a credential that `verification.documents.open_document` verified, with the key it names and
    the certificate type (signature and key role checked), in the memo: the entry `_credential` would
    make from the same bytes and key, read by the same `_read` from the payload's one strict parse
    that `open_document` verified (`SignedDocument.claims`), not from a second decode of the token."""
    key = document.key
    if document.header.get("typ") != TYP["certificate"]:
        return
    digest = bytes.fromhex(document.sha256)  # the SHA-256 of the token's bytes, taken where it was opened
    try:
        credential = _read(document.claims, document.header.get("kid"))  # the parse it was verified with
    except (MalformedInput, KeyError, TypeError, ValueError, AttributeError):
        return  # judged, and refused, on its first standing as before
    _remember(_verified_key(digest.hex(), digest, key), credential)


def _remember(seen: tuple[str, bytes, str, bytes, bool], credential: Credential) -> None:
    with _VERIFIED_LOCK:
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()  # a simple bound: refilling costs one check per certificate
        _VERIFIED[seen] = credential


def _kid_in(token: str, kid: str) -> str:
    """The kid the credential's header names for the key `kid`: itself, or a DID URL whose fragment it is
    (the DID was held to the issuer's programme at ingest, `verification.documents`)."""
    named = read_protected_header(token).get("kid")
    did_url = split_did_url(named) if isinstance(named, str) else None
    return named if did_url is not None and did_url[1] == kid and isinstance(named, str) else kid


_VERIFIED: dict[tuple[str, bytes, str, bytes, bool], Credential] = {}
_VERIFIED_LOCK = threading.Lock()
_VERIFIED_MAX = 200_000  # ~450 bytes an entry (its id, SHA-256, credential): ~90 MB at most
# Standings already given, keyed by everything `judge` reads: the presented certificate (the SHA-256 of its
# exact bytes, record, key record and status changes) and the question (`at`, `known_at_us`; for a
# certificate without changes asked without `known_at_us`, the phase of `at` against the record's validity
# dates). A catalogue asks about the same certificates on the same date again and again; an answer is a
# pure function of its key, so an entry never becomes wrong, and changed bytes (another SHA-256), a new
# event or another date are another key. The bytes are keyed by their SHA-256 rather than themselves: the
# rule reads them only through it (it is the certificate id when they are intact) and through the
# signature check, itself memoized by the same SHA-256 (`_VERIFIED`); an entry then holds ~32 bytes of
# them instead of ~1 KB. The key is a plain tuple: hashed and compared in C, where the dataclass's own
# hash and equality were Python calls for every certificate of a catalogue.
_KeyFields = tuple[str, str, bytes, int, int | None, int | None, bool, bool]
_Asked = tuple[
    str, bytes, Credential, _KeyFields | None, int, tuple[Change, ...], datetime | CertificateStatus, int | None
]
_KEY_FIELDS: dict[_KeyFields, _KeyFields] = {}  # the one tuple kept for each key record's fields
_KEY_FIELDS_MAX = 4_096
_JUDGED: dict[_Asked, Standing] = {}
# ≥ every certificate of a 100,000-certificate catalogue. An entry holds its key tuple, the standing, the
# 32-byte SHA-256 and the certificate's log time, ~350 bytes (its record is `_VERIFIED`'s credential when
# they agree): ~45 MB at most.
_JUDGED_MAX = 125_000


def _read(payload: Any, kid: object) -> Credential:
    subject, category = payload["credentialSubject"], payload["credentialSubject"]["category"]
    issuer = payload["issuer"]  # a string, or VC 2.0's object form {"id", "name"} (VC 2.0 §4.7)
    programme = programme_of_issuer(issuer["id"] if isinstance(issuer, dict) else issuer)
    if programme is None:
        raise ValueError("the issuer names no programme")
    did_url = split_did_url(str(kid))  # a DID URL names the programme's key by its fragment
    if did_url is not None:
        kid = did_url[1]
    # A remembered credential shares the strings every credential of its programme repeats (programme,
    # category, criteria version, kid): ~200 bytes less per entry of `_VERIFIED` (equal strings, so the
    # same credential).
    return Credential(
        programme_id=intern(programme),
        licence_number=str(subject["licenceNumber"]),
        category_code=intern(str(category["code"])),
        criteria_version=intern(str(category["criteriaVersion"])),
        valid_from_us=to_microseconds(parse_timestamp(payload["validFrom"])),
        valid_until_us=to_microseconds(parse_timestamp(payload["validUntil"])),
        kid=intern(str(kid)),
    )
