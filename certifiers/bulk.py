"""Bulk submission: sign thousands of licences and send them in batches, resumably.

    summary = bulk_submit(client, records, signer, Path("state.json"), programme="cn-cel")

After each batch the state file records every acknowledged licence (certificate id and leaf index), so a
rerun after an interruption skips them. Every acknowledgement is checked offline before it is recorded:
the certificate id must be the SHA-256 of our JWS and the receipt must verify under the registry's
checkpoint key; a receipt that fails is a hard error (`ReceiptRejected`), never a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from certifiers.client import MAX_BATCH, CertifierClient, SubmissionRefused
from certifiers.keys import SigningKey, check_registered
from certifiers.receipts import check_certificate
from certifiers.records import LicenceRecord, sign_record, with_status
from certifiers.responses import BatchResult, Outcome, Problem
from certifiers.signing import document_sha256
from certifiers.state import Acknowledged, BulkState, StateMismatch
from verification.note import NoteVerifier

DEFAULT_BATCH_SIZE = 500
# The registry refuses request bodies over 16 MiB; stay clearly below it (a 413 also halves the batch).
DEFAULT_MAX_BATCH_BYTES = 15 * 1_048_576
_PAYLOAD_TOO_LARGE = 413
MAX_FREE_SLOTS = 1000  # the registry answers at most this many free status-list slots a request


@dataclass(frozen=True)
class RejectedRecord:
    key: str
    rows: tuple[int, ...]
    problem: Problem


@dataclass(frozen=True)
class BatchProgress:
    batch: int  # 1-based, in this run
    sent: int  # records sent so far in this run
    pending: int  # records this run set out to send
    result: BatchResult


@dataclass
class BulkSummary:
    total: int = 0  # records in the input
    skipped: int = 0  # acknowledged by an earlier run, not sent again
    accepted: int = 0
    duplicates: int = 0
    rejected: list[RejectedRecord] = field(default_factory=list)
    batches: int = 0
    complete: bool = True  # False when the run stopped early (max_batches)

    @property
    def acknowledged(self) -> int:
        return self.skipped + self.accepted + self.duplicates


@dataclass(frozen=True)
class BulkOptions:
    batch_size: int = DEFAULT_BATCH_SIZE
    max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES
    max_batches: int | None = None  # stop after this many requests; a rerun continues
    pinned_registry_key: str | None = None  # instead of trusting /.well-known on first use
    status_slots: bool = False  # give each credential a status-list slot from the registry before signing
    on_batch: Callable[[BatchProgress], None] | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise ValueError(f"batch size must be between 1 and {MAX_BATCH}")


def bulk_submit(
    client: CertifierClient,
    records: Sequence[LicenceRecord],
    signer: SigningKey,
    state_path: Path,
    *,
    programme: str,
    options: BulkOptions | None = None,
) -> BulkSummary:
    options = options or BulkOptions()
    wrong = [r.key for r in records if r.certificate.programme_id != programme]
    if wrong:
        raise ValueError(f"records {wrong[:5]} are issued by another programme than {programme!r}")
    state = BulkState.load(state_path, programme)
    verifier = _verifier(client, state, options.pinned_registry_key)
    check_registered(signer, client.programme_keys(programme))
    state.save(state_path)  # fail on an unwritable state file before anything is sent
    pending = [record for record in records if record.key not in state.acknowledged]
    if options.status_slots:
        pending = _with_slots(client, pending, state, programme)
        state.save(state_path)  # the slots are kept before any credential signed with them is sent
    summary = BulkSummary(total=len(records), skipped=len(records) - len(pending))
    sender = _Sender(client, verifier, state, state_path, summary)
    for batch in _batches(pending, signer, options):
        if options.max_batches is not None and summary.batches >= options.max_batches:
            summary.complete = False
            break
        for result in sender.send(batch):
            if options.on_batch is not None:
                options.on_batch(BatchProgress(summary.batches, sender.sent, len(pending), result))
    return summary


def _with_slots(
    client: CertifierClient, records: list[LicenceRecord], state: BulkState, programme: str
) -> list[LicenceRecord]:
    """Each record with its status-list slot: the one this state gave it before, else a free one.

    A record that already carries credentialStatus keeps it. Free slots are read in pages after the last
    one taken, so one run never gives the same slot twice.
    """
    needing = [r for r in records if r.key not in state.status_slots and r.certificate.credential_status is None]
    after: int | None = None
    for start in range(0, len(needing), MAX_FREE_SLOTS):
        page = needing[start : start + MAX_FREE_SLOTS]
        slots = client.free_status_slots(programme, len(page), after)
        if len(slots) < len(page):
            raise ValueError(f"the registry has only {len(slots)} free status-list slots for {len(page)} records")
        for record, slot in zip(page, slots, strict=False):
            state.status_slots[record.key] = slot["credentialStatus"]
        after = slots[-1]["position"]
    return [with_status(r, state.status_slots[r.key]) if r.key in state.status_slots else r for r in records]


def _verifier(client: CertifierClient, state: BulkState, pinned: str | None) -> NoteVerifier:
    key = client.identity().checkpoint_verifier_key
    if pinned is not None and key != pinned:
        raise StateMismatch(f"the registry presents checkpoint key {key!r}, not the pinned {pinned!r}")
    state.pin_registry_key(key)
    return NoteVerifier.from_string(key)


def _batches(
    records: Sequence[LicenceRecord], signer: SigningKey, options: BulkOptions
) -> Iterator[list[tuple[LicenceRecord, str]]]:
    """Sign lazily and cut batches by count and by request size, whichever limit comes first."""
    batch: list[tuple[LicenceRecord, str]] = []
    size = 0
    for record in records:
        token = sign_record(record, signer)
        cost = len(token) + 3  # quotes and comma in the JSON array
        if batch and (len(batch) >= options.batch_size or size + cost > options.max_batch_bytes):
            yield batch
            batch, size = [], 0
        batch.append((record, token))
        size += cost
    if batch:
        yield batch


class _Sender:
    def __init__(
        self, client: CertifierClient, verifier: NoteVerifier, state: BulkState, path: Path, summary: BulkSummary
    ) -> None:
        self.client, self.verifier, self.state, self.path, self.summary = client, verifier, state, path, summary
        self.sent = 0

    def send(self, batch: list[tuple[LicenceRecord, str]]) -> Iterator[BatchResult]:
        try:
            result = self.client.submit_batch(token for _, token in batch)
        except SubmissionRefused as exc:
            if exc.status != _PAYLOAD_TOO_LARGE or len(batch) == 1:
                raise
            # The registry's body limit is lower than we assumed: send the two halves separately.
            middle = len(batch) // 2
            yield from self.send(batch[:middle])
            yield from self.send(batch[middle:])
            return
        self._record(batch, result)
        yield result

    def _record(self, batch: list[tuple[LicenceRecord, str]], result: BatchResult) -> None:
        summary = self.summary
        try:
            for item, (record, token) in zip(result.items, batch, strict=True):
                if item.outcome is Outcome.REJECTED:
                    problem = item.problem or Problem("about:blank", "Rejected", 0, "no reason given", None)
                    summary.rejected.append(RejectedRecord(record.key, record.rows, problem))
                    if problem.code == "STATUS_INDEX_TAKEN":
                        self.state.status_slots.pop(record.key, None)  # a rerun signs it with a free slot
                    continue
                receipt = check_certificate(token, item.certificate_id, item.receipt, self.verifier)
                self.state.acknowledged[record.key] = Acknowledged(
                    document_sha256(token), receipt.leaf_index, item.outcome.value, record.rows
                )
                if item.outcome is Outcome.ACCEPTED:
                    summary.accepted += 1
                else:
                    summary.duplicates += 1
        finally:
            # Saved after every batch, and before a bad receipt stops the run: what was verified is kept.
            self.state.save(self.path)
        summary.batches += 1
        self.sent += len(batch)
