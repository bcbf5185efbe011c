"""Verify one certificate for a buyer: status on a date, signature, key, log inclusion, signed decision."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ecolabel_registry.certificates import repository as certificate_rows
from ecolabel_registry.certificates.lookup import lifecycle_of
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.errors import InternalError, NotFound
from ecolabel_registry.integrity.guard import require_intact
from ecolabel_registry.log import service as log
from ecolabel_registry.verify import repository
from ecolabel_registry.verify.decisions import sign_decision
from ecolabel_registry.verify.reasons import SIGNATURE_INVALID, SIGNING_KEY_REVOKED, status_reasons
from verification.errors import KeyNotValid, VerificationError
from verification.jwk import PublicKey
from verification.jws import verify_compact
from verification.keys import KeyRecord, require_key_valid_at
from verification.leaf import format_log_time, to_microseconds
from verification.payloads import TYP
from verification.status import status_as_of


class NeedsSnapshot(Exception):
    """An `autocommit` check found status events to read: run it again in a read snapshot."""


def verify_certificate(
    connection: Connection, context: RegistryContext, certificate_id: str, at: datetime, *, autocommit: bool = False
) -> dict[str, Any]:
    """The check of one certificate on a date, with its signed decision.

    `autocommit`: the connection is outside any transaction. The certificate, its key and the log head
    come in one statement, which sees one snapshot on its own; the proof's nodes may be read after it,
    because a stored node is final and every node of that head's tree was committed with it. Status
    events could not be (one logged after that head would count), so a certificate that has some
    raises `NeedsSnapshot`. The answer is the one a read snapshot gives, without its BEGIN and COMMIT.
    """
    require_intact(connection)  # a decision signed from tables that differ from the log would be a false one
    row = repository.checked_certificate(connection, certificate_id)  # with its credential and its key
    if row is None:
        raise NotFound(f"no certificate {certificate_id}")
    if autocommit and row["event_count"]:
        raise NeedsSnapshot("the certificate has status events, read in the same snapshot as its head")
    # event_count moves with every event in the same transaction, so 0 means there is nothing to read.
    events = certificate_rows.events_of(connection, [certificate_id])[certificate_id] if row["event_count"] else []
    answer = status_as_of(lifecycle_of(row, events), at=at)
    key = _signing_key(row)
    signature_valid = _signature_valid(bytes(row["document"]), key)
    try:
        require_key_valid_at(key, row["integrated_us"])
        key_code = None
    except KeyNotValid as exc:
        key_code = exc.code
    # The head came with the row, in the same snapshot. A tree holding this certificate is not empty,
    # and every append stores the signed checkpoint of the head it makes.
    tree_size, note = row["head_tree_size"], row["head_checkpoint"]
    if note is None:
        raise InternalError(f"the log head of size {tree_size} has no signed checkpoint")
    _, leaf, proof = log.prove_inclusion_at(connection, row["leaf_index"], tree_size, read_only=True)
    reasons = status_reasons(answer.status)
    if key_code == SIGNING_KEY_REVOKED:
        reasons.append(SIGNING_KEY_REVOKED)
    if not signature_valid:
        reasons.append(SIGNATURE_INVALID)
    decision = {
        "type": "CertificateVerification",
        "issuer": context.settings.log_origin,
        "issuedAt": format_log_time(time.time_ns() // 1000),
        "checkpoint": note,
        "certificate": certificate_id,
        "asOf": format_log_time(to_microseconds(at)),
        "status": answer.status.value,
        "validUntil": format_log_time(to_microseconds(answer.valid_until)),
        "signingKeyValid": key_code is None,
        "leafIndex": row["leaf_index"],
        "decision": "not_valid" if reasons else "valid",
        "reasons": reasons,
    }
    return {
        "certificate_id": certificate_id,
        "as_of": decision["asOf"],
        "decision": decision["decision"],
        "reasons": reasons,
        "status": answer.status.value,
        "valid_from": format_log_time(row["valid_from_us"]),
        "valid_until": decision["validUntil"],
        "signature": {"valid": signature_valid, "kid": key.kid},
        "signing_key": {
            "kid": key.kid,
            "status": key.status.value,
            "valid_for_this_certificate": key_code is None,
            "code": key_code,
        },
        "inclusion": {
            "leaf_index": row["leaf_index"],
            "tree_size": tree_size,
            "leaf_hash": base64.b64encode(leaf).decode(),
            "proof": [base64.b64encode(node).decode() for node in proof],
            "checkpoint": note,
        },
        "signed_decision": sign_decision(context, decision),
    }


def _signature_valid(document: bytes, key: KeyRecord) -> bool:
    """Checked on every request against the bytes stored now, not a flag set at submission.

    A signature check is a pure function of (bytes, key), so the bytes' SHA-256 and the key that
    verified them are remembered: changed bytes are a different digest and are checked again. A failure
    is not remembered: it is rare, and cheap to find again.
    """
    seen = (hashlib.sha256(document).digest(), key.kid, key.public_key)
    if seen in _VERIFIED:
        return True
    try:
        public_key = PublicKey(kid=key.kid, raw=key.public_key)
        verify_compact(document.decode("ascii"), public_key, expected_typ=TYP["certificate"])
    except (VerificationError, UnicodeDecodeError):
        return False
    with _VERIFIED_LOCK:
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()  # a simple bound: refilling costs one check per certificate
        _VERIFIED.add(seen)
    return True


_VERIFIED: set[tuple[bytes, str, bytes]] = set()
_VERIFIED_LOCK = threading.Lock()
_VERIFIED_MAX = 200_000  # ~30 MB at most


def _signing_key(row: Mapping[str, Any]) -> KeyRecord:
    if row["key_public_key"] is None:
        raise InternalError(f"certificate {row['id']} names key {row['signing_kid']!r}, which is not registered")
    return KeyRecord(
        programme_id=row["programme_id"],
        kid=row["signing_kid"],
        public_key=bytes(row["key_public_key"]),
        added_us=row["key_added_us"],
        ended_us=row["key_ended_us"],
        compromised_since_us=row["key_compromised_since_us"],
    )
