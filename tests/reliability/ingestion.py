"""Certifier clients that record every write the registry acknowledged, and the checks run on that record.

A write is *acknowledged* when the client holds a receipt for it. The checks then prove, from the
database and from the registry's own answers, that each acknowledged write is in the log exactly once,
that the log has no gap, that every receipt verifies, and that every checkpoint anyone saw is a prefix
of the final log (so all of them are consistent with each other).
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine, func, select

from ecolabel_registry.db.models import CertificateEvent
from ecolabel_registry.log.repository import entries_table, state_table
from tests.registry.factories import Certifier, certificate_id, certifier
from verification.checkpoint import Checkpoint, verify_checkpoint
from verification.compact import CompactRange
from verification.merkle import verify_consistency
from verification.note import NoteVerifier
from verification.receipt import Receipt, verify_receipt

events_table = CertificateEvent.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__


@dataclass(frozen=True)
class Acknowledged:
    document: bytes
    receipt: Receipt


@dataclass
class Ledger:
    """What the clients were told, shared by their threads."""

    writes: list[Acknowledged] = field(default_factory=list)
    throttled: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    progress: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.progress = threading.Condition(self.lock)

    def acknowledge(self, document: str, receipt: dict[str, object]) -> None:
        parsed = Receipt.from_dict(receipt)
        with self.lock:
            self.writes.append(Acknowledged(document.encode("ascii"), parsed))
            self.progress.notify_all()

    def count(self) -> int:
        with self.lock:
            return len(self.writes)

    def wait_for(self, writes: int, *, timeout: float) -> bool:
        """Block until at least `writes` are acknowledged; a bound so that a hung server fails the test."""
        with self.progress:
            return self.progress.wait_for(lambda: len(self.writes) >= writes, timeout=timeout)


def register_programmes(base_url: str, admin_headers: dict[str, str], count: int, prefix: str) -> list[Certifier]:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        return [certifier(http, admin_headers, f"{prefix}-{n}") for n in range(count)]


def post(http: httpx.Client, ledger: Ledger, path: str, body: dict[str, object]) -> httpx.Response:
    """POST, honouring 429 + Retry-After as a well-behaved client does; any other answer is returned."""
    while True:
        response = http.post(path, json=body)
        if response.status_code != 429:
            return response
        with ledger.lock:
            ledger.throttled += 1
        time.sleep(float(response.headers["Retry-After"]))


def submit_batch(http: httpx.Client, ledger: Ledger, tokens: list[str]) -> list[str]:
    """Submit credentials; every one must be accepted or a duplicate. Returns their certificate ids."""
    response = post(http, ledger, "/v1/certificates/batch", {"credentials": tokens})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    for token, result in zip(tokens, results, strict=True):
        assert result["outcome"] in {"accepted", "duplicate"}, result
        ledger.acknowledge(token, result["receipt"])
    return [certificate_id(token) for token in tokens]


def suspend(http: httpx.Client, ledger: Ledger, body: Certifier, cert: str) -> None:
    event = body.status_event(cert, 1, cert)
    response = post(http, ledger, f"/v1/certificates/{cert}/events", {"event": event})
    assert response.status_code == 201, response.text
    ledger.acknowledge(event, response.json()["receipt"])


def registry_verifier(base_url: str) -> NoteVerifier:
    key = httpx.get(f"{base_url}/.well-known/ecolabel-registry").json()["checkpoint_verifier_key"]
    return NoteVerifier.from_string(key)


def current_checkpoint(base_url: str, verifier: NoteVerifier) -> Checkpoint:
    return verify_checkpoint(httpx.get(f"{base_url}/v1/log/checkpoint").json()["checkpoint"], verifier)


def check_log_is_gap_free(engine: Engine) -> int:
    """The stored leaves are exactly 0..size-1 and the head agrees; returns the size."""
    with engine.connect() as connection:
        count, low, high = connection.execute(
            select(func.count(), func.min(entries_table.c.leaf_index), func.max(entries_table.c.leaf_index))
        ).one()
        size = connection.execute(select(state_table.c.tree_size)).scalar_one()
    assert count == size, f"{count} stored leaves for a head of size {size}"
    assert count == 0 or (low, high) == (0, size - 1), f"leaves span {low}..{high} for size {size}"
    return int(size)


def check_acknowledged_exactly_once(engine: Engine, writes: Iterable[Acknowledged]) -> None:
    """Each acknowledged document is stored at its receipt's index, and at no other index."""
    by_index = {write.receipt.leaf_index: write.document for write in writes}
    with engine.connect() as connection:
        stored = {
            row.leaf_index: bytes(row.document)
            for row in connection.execute(select(entries_table.c.leaf_index, entries_table.c.document))
            if row.leaf_index in by_index
        }
        copies = connection.execute(
            select(entries_table.c.document_sha256, func.count())
            .group_by(entries_table.c.document_sha256)
            .having(func.count() > 1)
        ).all()
    missing = [index for index in by_index if index not in stored]
    assert not missing, f"acknowledged leaves missing after the run: {missing[:10]}"
    different = [index for index, document in by_index.items() if stored[index] != document]
    assert not different, f"leaves holding another document than acknowledged: {different[:10]}"
    assert not copies, f"documents logged more than once: {len(copies)}"


def check_receipts(writes: Iterable[Acknowledged], verifier: NoteVerifier) -> dict[int, bytes]:
    """Every receipt verifies offline; returns the root each observed tree size was signed with."""
    roots: dict[int, bytes] = {}
    for write in writes:
        checkpoint = verify_receipt(write.receipt, write.document, verifier)
        seen = roots.setdefault(checkpoint.tree_size, checkpoint.root_hash)
        assert seen == checkpoint.root_hash, f"two roots signed for size {checkpoint.tree_size}"
    return roots


def check_checkpoints_are_prefixes(engine: Engine, roots: dict[int, bytes]) -> None:
    """Every observed root is the root of that prefix of the final log: all of them are consistent."""
    remaining = {size: root for size, root in roots.items() if size > 0}  # every log extends the empty tree
    compact = CompactRange(0, [])
    with engine.connect() as connection:
        leaves = connection.execute(select(entries_table.c.leaf_hash).order_by(entries_table.c.leaf_index)).scalars()
        for leaf in leaves:
            compact.append(bytes(leaf))
            expected = remaining.pop(compact.size, None)
            if expected is not None:
                assert compact.root() == expected, f"checkpoint of size {compact.size} is not a prefix of the log"
    assert not remaining, f"checkpoints beyond the stored log: {sorted(remaining)[:5]}"


def check_served_consistency(base_url: str, old: Checkpoint, new: Checkpoint) -> None:
    """The registry's own consistency proof links a checkpoint seen earlier to a later one."""
    if old.tree_size == 0:
        return  # every tree extends the empty one (RFC 9162 §2.1.4 defines proofs from size 1)
    body = httpx.get(
        f"{base_url}/v1/log/proofs/consistency", params={"first": old.tree_size, "second": new.tree_size}
    ).json()
    proof = [base64.b64decode(node) for node in body["proof"]]
    verify_consistency(old.tree_size, new.tree_size, proof, old.root_hash, new.root_hash)


def check_events_stored_once(engine: Engine, expected: int) -> None:
    with engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(events_table)).scalar_one()
    assert stored == expected, f"{stored} status events stored, {expected} acknowledged"
