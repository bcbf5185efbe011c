"""Verify one certificate for a buyer: status on a date, signature, key, log inclusion, signed decision."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping

from ecolabel_registry.certificates import at_head
from ecolabel_registry.certificates import repository as certificate_rows
from ecolabel_registry.certificates.standing import evidence_of, judge_row
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import single_statements
from ecolabel_registry.errors import InternalError, NotFound
from ecolabel_registry.integrity.guard import require_intact
from ecolabel_registry.log import service as log
from ecolabel_registry.procurement import repository
from ecolabel_registry.programmes.keys import key_record
from ecolabel_registry.signer import sign_decision
from verification.evidence import KeyHead, checkpoint_json
from verification.keys import KeyRecord
from verification.leaf import format_log_time, to_microseconds


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
    return _answer(
        context,
        certificate_id,
        at,
        row,
        events=events,
        prove=lambda: log.prove_inclusion_at(connection, row["leaf_index"], row["head_tree_size"], read_only=True)[1:],
    )


def verify_read(
    engine: Engine, context: RegistryContext, certificate_id: str, at: datetime, row: Mapping[str, Any]
) -> dict[str, Any] | None:
    """`verify_certificate(..., autocommit=True)` for a row its one statement read (`certificates.at_head`)
    outside a transaction, when nothing more needs reading: no status events, and every node of the
    inclusion proof in the engine's cache of final nodes. None otherwise: then run `verify_certificate`.
    The caller has checked `require_intact` (`guard.require_intact_as_seen`) before the row was read."""
    if row["event_count"]:
        return None
    proved = log.prove_inclusion_cached(engine, row["leaf_index"], row["head_tree_size"])
    if proved is None:
        return None
    return _answer(context, certificate_id, at, row, events=[], prove=lambda: proved)


def verify_own_read(
    engine: Engine, context: RegistryContext, certificate_id: str, at: datetime
) -> dict[str, Any] | None:
    """`verify_read` of the row this thread reads itself, on the connection it keeps for one-statement reads
    (`db.engine.single_statements`: on SQLite, no pool checkout and no SQLAlchemy `Connection` around it);
    None for an unknown certificate or a proof node not cached, `NeedsSnapshot` for a certificate with
    status events. The caller has checked `require_intact`."""
    with single_statements(engine) as connection:
        row = at_head.row(connection, certificate_id)
    if row is None:
        return None
    if row["event_count"]:
        raise NeedsSnapshot("the certificate has status events, read in the same snapshot as its head")
    return verify_read(engine, context, certificate_id, at, row)


def _answer(
    context: RegistryContext,
    certificate_id: str,
    at: datetime,
    row: Mapping[str, Any],
    *,
    events: Sequence[RowMapping],
    prove: Callable[[], tuple[bytes, list[bytes]]],
) -> dict[str, Any]:
    """The answer from the row, its events and its inclusion (`prove`: leaf hash and proof at the head)."""
    key = _signing_key(row)
    standing = judge_row(row, bytes(row["document"]), key, events, at=at)
    # The head came with the row, in the same snapshot. A tree holding this certificate is not empty,
    # and every append stores the signed checkpoint of the head it makes.
    tree_size, note = row["head_tree_size"], row["head_checkpoint"]
    if note is None:
        raise InternalError(f"the log head of size {tree_size} has no signed checkpoint")
    leaf, proof = prove()
    reasons = list(standing.reasons)
    key_head = KeyHead(
        row["programme_id"],
        row["key_head_sequence"] or 0,
        row["programme_leaf_index"] if row["key_head_sequence"] is None else row["key_head_leaf_index"],
    )
    evidence = evidence_of(row, events, key_head)
    root_hash = base64.b64encode(bytes(row["head_root_hash"])).decode()
    decision = {
        "type": "CertificateVerification",
        "issuer": context.settings.log_origin,
        "issuedAt": format_log_time(time.time_ns() // 1000),
        "checkpoint": note,
        "treeSize": tree_size,
        "rootHash": root_hash,
        "certificate": certificate_id,
        "asOf": format_log_time(to_microseconds(at)),
        "status": standing.status.value,
        "validUntil": format_log_time(standing.valid_until_us),
        "signingKeyValid": standing.key_code is None,
        "leafIndex": row["leaf_index"],
        "evidence": evidence.to_decision(),
        "decision": "not_valid" if reasons else "valid",
        "reasons": reasons,
    }
    return {
        "certificate_id": certificate_id,
        "as_of": decision["asOf"],
        "decision": decision["decision"],
        "reasons": reasons,
        "status": standing.status.value,
        "valid_from": format_log_time(row["valid_from_us"]),
        "valid_until": decision["validUntil"],
        "signature": {"valid": standing.signature_valid, "kid": key.kid},
        "signing_key": {
            "kid": key.kid,
            "status": key.status.value,
            "valid_for_this_certificate": standing.key_code is None,
            "code": standing.key_code,
        },
        "inclusion": {
            "leaf_index": row["leaf_index"],
            "tree_size": tree_size,
            "leaf_hash": base64.b64encode(leaf).decode(),
            "proof": [base64.b64encode(node).decode() for node in proof],
            "checkpoint": note,
        },
        "judged_at": checkpoint_json(tree_size, root_hash),
        "evidence": evidence.to_api(),
        "signed_decision": sign_decision(context, decision),
    }


def _signing_key(row: Mapping[str, Any]) -> KeyRecord:
    key = key_record(row, "key_")
    if key is None:
        raise InternalError(f"certificate {row['id']} names key {row['signing_kid']!r}, which is not registered")
    return key
