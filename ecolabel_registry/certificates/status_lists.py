"""A programme's Bitstring Status List credential, as it stands now or at any checkpoint.

The list is derived, never stored: its bits come from each member certificate's status chain through
`verification.status.status_as_of`, the one rule every other answer uses, so a list cannot disagree
with the chains. It is regenerated whenever it is asked for, and since Ed25519 is deterministic, the
same bits and `validFrom` always give the same JWS: its SHA-256 is the ETag.

Who signs: the registry, with the key of its checkpoints, named in the programme's DID document as
`#registry-<thumbprint>` (`ecolabel_registry.programmes.did_documents`); the issuer is the programme's
DID, because verifiers require a status list's issuer to be the credential's. `validFrom` is the last
moment, by the instant judged, at which any member's status could have changed (a logged certificate or
event, an effective time, an end of validity), in whole seconds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from ecolabel_registry.certificates import repository as certificates
from ecolabel_registry.certificates.lookup import lifecycle_of
from ecolabel_registry.clock import now_us
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.errors import NotFound, ValidationFailed
from ecolabel_registry.log import repository as log_repository
from ecolabel_registry.programmes import repository as programmes
from ecolabel_registry.programmes.did_documents import registry_method_fragment
from ecolabel_registry.status_lists import repository
from verification.canonical import dumps_canonical
from verification.jwk import PublicKey
from verification.jws import sign_compact
from verification.leaf import from_microseconds
from verification.payloads import TYP
from verification.status import status_as_of
from verification.status_list import LIST_SIZE, MAX_LIST_NUMBER, StatusPurpose, encode_list, list_url, set_bits

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"


@dataclass(frozen=True)
class ServedList:
    token: str
    etag: str
    at_checkpoint: bool  # judged at a given checkpoint: it can never change


def _checkpoint_time(connection: Connection, tree_size: int) -> int:
    head = log_repository.read_head(connection)
    if not 1 <= tree_size <= head.tree_size:
        raise ValidationFailed(f"tree_size must be between 1 and {head.tree_size}", code="TREE_SIZE_OUT_OF_RANGE")
    entries = log_repository.entries_table
    integrated: int = connection.execute(
        select(entries.c.integrated_us).where(entries.c.leaf_index == tree_size - 1)
    ).scalar_one()
    return integrated


def status_list(
    connection: Connection,
    context: RegistryContext,
    programme_id: str,
    purpose: StatusPurpose,
    number: int,
    *,
    tree_size: int | None = None,
) -> ServedList:
    """The signed list credential, judged now or at the checkpoint of `tree_size` (as known and as of then)."""
    programme = programmes.get(connection, programme_id)
    if programme is None or number > MAX_LIST_NUMBER:
        raise NotFound(f"no status list {purpose.value}/{number} of programme {programme_id!r}")
    moment_us = now_us() if tree_size is None else _checkpoint_time(connection, tree_size)
    at = from_microseconds(moment_us)
    # The checkpoint of `tree_size` holds leaves 0 … tree_size - 1, so what it knows is chosen by leaf index,
    # not by log time: appends share a log time whenever the clock stands still or steps back (log time
    # never goes backwards), and "logged by the time of leaf tree_size - 1" would take in later leaves too.
    members = repository.members(connection, programme_id, purpose, number, tree_size)
    events = certificates.events_of(connection, [row["id"] for _, row in members])
    statuses = []
    changed_us = programme.registered_us
    for index, row in members:
        history = [e for e in events.get(row["id"], []) if tree_size is None or e["leaf_index"] < tree_size]
        statuses.append((index, status_as_of(lifecycle_of(row, history), at=at).status))
        moments = [row["integrated_us"], row["valid_until_us"]]
        for event in history:
            moments += [event["integrated_us"], event["effective_us"], event["valid_until_us"] or 0]
        changed_us = max([changed_us, *(moment for moment in moments if moment <= moment_us)])
    encoded = encode_list(set_bits(statuses, purpose))
    token = _sign(context, programme_id, purpose, number, encoded=encoded, changed_us=changed_us)
    return ServedList(token, f'"{hashlib.sha256(token.encode()).hexdigest()}"', tree_size is not None)


def _sign(
    context: RegistryContext, programme_id: str, purpose: StatusPurpose, number: int, *, encoded: str, changed_us: int
) -> str:
    names = context.did_names
    did = names.programme(programme_id)
    url = list_url(names.base_url, programme_id, purpose, number)
    seconds = changed_us // 1_000_000
    payload = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose.value,
            "encodedList": encoded,
        },
        # The registered claims agree with the credential, as docs/INTEROP.md requires of every credential.
        "iss": did,
        "nbf": seconds,
    }
    registry_key = PublicKey.from_private_key(context.signing_key)
    kid = f"{did}#{registry_method_fragment(registry_key)}"
    return sign_compact(dumps_canonical(payload), context.signing_key, kid, TYP["certificate"])


def free_slots(
    connection: Connection, programme_id: str, count: int, after: int | None = None
) -> list[tuple[int, int]]:
    """(list number, index) pairs no certificate of the programme holds yet, from its highest list on, or
    after the position `after` (list number * LIST_SIZE + index) when given, so that a caller can page.

    Nothing is reserved: two certifiers asking at once get the same answer, and the second credential
    signed with a slot is refused (STATUS_INDEX_TAKEN) and re-signed with another.
    """
    if programmes.get(connection, programme_id) is None:
        raise NotFound(f"no programme {programme_id!r}")
    number, start = repository.highest_list(connection, programme_id), 0
    if after is not None and after // LIST_SIZE >= number:
        number, start = divmod(after + 1, LIST_SIZE)
    slots: list[tuple[int, int]] = []
    while len(slots) < count and number <= MAX_LIST_NUMBER:
        free = repository.free_indexes(connection, programme_id, number, count - len(slots), start)
        slots += [(number, index) for index in free]
        number, start = number + 1, 0
    return slots
