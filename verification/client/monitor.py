"""Follow a registry's log and check that its history is never rewritten.

A run (1) verifies the latest checkpoint with the pinned registry key, and with a witness policy
(C2SP tlog-policy) also the witnesses' cosignatures, (2) proves it consistent with the last checkpoint
this monitor trusted (RFC 9162 §2.1.4), (3) recomputes every new leaf from its entry, re-verifying each
document, and (4) checks that the recomputed leaves give the signed root. With `full=True`, or without
saved state, it re-walks the log from leaf 0, which also catches edits to old rows. A failure names the
first bad leaf index where one can be named.

The log is read from a `LogSource`: the registry's JSON API (`verification.client.RegistryClient`) or
any C2SP tlog-tiles prefix, the registry's `/log/`, a mirror, or a directory of exported tiles
(`verification.client.tiles.TiledLog`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from verification.checkpoint import Checkpoint, verify_checkpoint
from verification.client import RegistryClient, RegistryProblem
from verification.client.files import write_atomically
from verification.compact import CompactRange
from verification.errors import MalformedInput, ProofInvalid, VerificationError
from verification.jwk import PublicKey
from verification.leaf import DocumentKind, LogEntry, commitment_leaf_hash, entry_leaf_hash
from verification.merkle import verify_consistency
from verification.note import NoteVerifier
from verification.policy import Policy
from verification.replay import DocumentReplay


class LogSource(Protocol):
    """Where a monitor reads the log: checkpoints, entries in order, and proofs for a tree size."""

    def checkpoint(self) -> str: ...

    def witnessed_checkpoint(self) -> str: ...

    def entries(self, start: int, end: int) -> Iterable[LogEntry]: ...

    def consistency_proof(self, first: int, second: int) -> list[bytes]: ...

    def inclusion_proof(self, leaf_index: int, tree_size: int) -> tuple[bytes, list[bytes]]: ...


class MonitorAlarm(ProofInvalid):
    """The log is not what it claimed to be; `leaf_index` names the first bad leaf when known."""

    summary = "The registry's log failed monitoring"
    remedy = "Keep the saved state and this output as evidence, and report it to the registry's operator and users."

    def __init__(self, code: str, detail: str, leaf_index: int | None = None) -> None:
        super().__init__(code, detail)
        self.leaf_index = leaf_index


@dataclass
class MonitorState:
    """What a monitor trusts between runs; saved as JSON."""

    verifier_key: str
    tree_size: int = 0
    root_hash: bytes = b""
    frontier: list[bytes] = field(default_factory=list)
    replay: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "verifier_key": self.verifier_key,
                "tree_size": self.tree_size,
                "root_hash": base64.b64encode(self.root_hash).decode(),
                "frontier": [base64.b64encode(h).decode() for h in self.frontier],
                "replay": self.replay,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> MonitorState:
        data = json.loads(text)
        return cls(
            verifier_key=data["verifier_key"],
            tree_size=int(data["tree_size"]),
            root_hash=base64.b64decode(data["root_hash"]),
            frontier=[base64.b64decode(h) for h in data["frontier"]],
            replay=data.get("replay", {}),
        )

    def save(self, path: Path) -> None:
        write_atomically(path, self.to_json().encode("utf-8"))  # a crash never leaves half a state file


@dataclass(frozen=True)
class MonitorReport:
    previous_size: int
    tree_size: int
    checked_from: int
    entries_checked: int


def run(
    client: LogSource,
    state: MonitorState | None,
    *,
    full: bool = False,
    pinned_key: str | None = None,
    published_key: str | None = None,
    policy: Policy | None = None,
    on_entry: Callable[[int], None] | None = None,
) -> tuple[MonitorState, MonitorReport]:
    """One monitoring pass; raises `MonitorAlarm` (or another VerificationError) on any inconsistency.

    The log's key is, in order: `pinned_key`, the one saved in `state`, the policy's log, or the one the
    registry publishes (`published_key`, read from a `RegistryClient` when not given; trusted on first
    use). A registry that later publishes another
    key is an alarm. With a `policy`, the checkpoint must also carry the witness cosignatures it requires:
    a log showing this monitor a view the witnesses never saw is refused.
    """
    if published_key is None and isinstance(client, RegistryClient):
        published_key = client.identity().checkpoint_verifier_key
    policy_key = policy.logs[0].to_string() if policy is not None and policy.logs else None
    verifier_key = pinned_key or (state.verifier_key if state else None) or policy_key or published_key
    if verifier_key is None:
        raise MalformedInput("NO_LOG_KEY", "a tiled log publishes no key: pin the log's key or give a policy")
    if published_key is not None and published_key != verifier_key:
        raise MonitorAlarm("KEY_CHANGED", "the registry now publishes a different checkpoint key than the one pinned")
    verifier = NoteVerifier.from_string(verifier_key)
    if policy is None:
        checkpoint = verify_checkpoint(client.checkpoint(), verifier, origin=verifier.name)
    else:
        checkpoint = policy.verify(client.witnessed_checkpoint(), log_keys=[verifier], origin=verifier.name).checkpoint
    previous = state.tree_size if state else 0
    if state is not None:
        _check_consistency(client, state, checkpoint)
    start = 0 if state is None or full else state.tree_size
    compact = (
        CompactRange() if start == 0 else CompactRange(state.tree_size, state.frontier) if state else CompactRange()
    )
    registry_key = PublicKey.from_raw(verifier.public_key)  # the same key signs checkpoints and recoveries
    if start == 0 or state is None:
        replay = DocumentReplay(registry_key=registry_key)
    else:
        replay = DocumentReplay.from_dict(state.replay, registry_key=registry_key)
    recomputed = _walk_and_check(
        client, start=start, checkpoint=checkpoint, compact=compact, replay=replay, on_entry=on_entry
    )
    if state is not None and full and state.tree_size > 0:
        # Re-walking from 0 must reproduce the tree this monitor trusted before.
        _check_consistency(client, state, checkpoint)
    new_state = MonitorState(
        verifier_key=verifier_key,
        tree_size=checkpoint.tree_size,
        root_hash=checkpoint.root_hash,
        frontier=compact.hashes,
        replay=replay.to_dict(),
    )
    return new_state, MonitorReport(previous, checkpoint.tree_size, start, len(recomputed))


def _check_consistency(client: LogSource, state: MonitorState, checkpoint: Checkpoint) -> None:
    if checkpoint.tree_size < state.tree_size:
        raise MonitorAlarm(
            "LOG_SHRANK",
            f"the log shrank from {state.tree_size} to {checkpoint.tree_size} leaves",
            checkpoint.tree_size,
        )
    if state.tree_size == 0:
        return
    proof = client.consistency_proof(state.tree_size, checkpoint.tree_size)
    try:
        verify_consistency(state.tree_size, checkpoint.tree_size, proof, state.root_hash, checkpoint.root_hash)
    except VerificationError as exc:
        raise MonitorAlarm(
            "HISTORY_REWRITTEN",
            f"the tree of size {checkpoint.tree_size} does not extend the trusted tree of size {state.tree_size}",
        ) from exc


def _walk_and_check(
    client: LogSource,
    *,
    start: int,
    checkpoint: Checkpoint,
    compact: CompactRange,
    replay: DocumentReplay,
    on_entry: Callable[[int], None] | None,
) -> list[bytes]:
    """Walk [start, tree size) and check the result against the signed root; an alarm names the first
    bad leaf in log order."""
    base = CompactRange(compact.size, compact.hashes)
    recomputed: list[bytes] = []
    try:
        _walk(
            client,
            start=start,
            end=checkpoint.tree_size,
            compact=compact,
            replay=replay,
            recomputed=recomputed,
            on_entry=on_entry,
        )
    except MonitorAlarm as alarm:
        # A leaf rewritten together with its hashes walks cleanly; only the signed root betrays it. So
        # before naming this leaf, make sure no earlier one is bad.
        earlier = _first_leaf_not_in_tree(client, base, recomputed, checkpoint)
        if earlier is not None:
            raise MonitorAlarm("LEAF_NOT_IN_TREE", f"leaf {earlier} is not in the signed tree", earlier) from alarm
        raise
    if compact.root() != checkpoint.root_hash:
        earlier = _first_leaf_not_in_tree(client, base, recomputed, checkpoint)
        if earlier is not None:
            raise MonitorAlarm("LEAF_NOT_IN_TREE", f"leaf {earlier} is not in the signed tree", earlier)
        raise MonitorAlarm("ROOT_MISMATCH", "the entries do not produce the signed root")
    return recomputed


def _walk(
    client: LogSource,
    *,
    start: int,
    end: int,
    compact: CompactRange,
    replay: DocumentReplay,
    recomputed: list[bytes],
    on_entry: Callable[[int], None] | None,
) -> None:
    """Recompute and re-verify leaves [start, end) in order, appending each good leaf to `recomputed`."""
    expected = start
    for entry in _missing_as_alarm(client.entries(start, end)):
        if entry.leaf_index != expected:
            raise MonitorAlarm("ENTRY_MISSING", f"leaf {expected} is missing from the log's entries", expected)
        leaf = recompute_leaf(entry)
        try:
            replay.check(entry)
        except VerificationError as exc:
            raise MonitorAlarm("DOCUMENT_INVALID", f"leaf {expected}: {exc.diagnostics()}", expected) from exc
        compact.append(leaf)
        recomputed.append(leaf)
        expected += 1
        if on_entry is not None:
            on_entry(expected)
    if expected != end:
        raise MonitorAlarm("ENTRY_MISSING", f"leaf {expected} is missing from the log's entries", expected)


def recompute_leaf(entry: LogEntry) -> bytes:
    """The leaf hash an entry must have, from its document (or, for a private one, its commitment)."""
    if entry.document is not None:
        if hashlib.sha256(entry.document).digest() != entry.document_sha256:
            raise MonitorAlarm(
                "DOCUMENT_MISMATCH", f"leaf {entry.leaf_index}: document does not match its hash", entry.leaf_index
            )
        leaf = entry_leaf_hash(entry.kind, entry.integrated_us, entry.document)
    elif entry.kind.is_public:
        raise MonitorAlarm(
            "DOCUMENT_WITHHELD", f"leaf {entry.leaf_index}: a public document was withheld", entry.leaf_index
        )
    else:
        leaf = commitment_leaf_hash(entry.kind, entry.integrated_us, entry.document_sha256)
    if leaf != entry.leaf_hash:
        raise MonitorAlarm(
            "LEAF_MISMATCH", f"leaf {entry.leaf_index}: its entry does not hash to the logged leaf", entry.leaf_index
        )
    return leaf


def _first_leaf_not_in_tree(
    client: LogSource, base: CompactRange, recomputed: list[bytes], checkpoint: Checkpoint
) -> int | None:
    """The first of the recomputed leaves (they follow `base`, a range already trusted) that the signed
    tree does not hold, or None when all of them are in it.

    "The first k leaves are in the tree" is monotone in k: the tree of size base+k is consistent with the
    signed one (RFC 9162 §2.1.4) exactly when every one of those leaves is the tree's. A single leaf's
    inclusion proof is not: leaves after a bad one still prove. So a binary search over prefix sizes
    with consistency proofs names the first bad leaf in log order with O(log n) proofs.
    """

    def prefix_in_tree(count: int) -> bool:
        size = base.size + count
        if size == 0:
            return True
        prefix = CompactRange(base.size, base.hashes)
        for leaf in recomputed[:count]:
            prefix.append(leaf)
        proof = client.consistency_proof(size, checkpoint.tree_size) if size < checkpoint.tree_size else []
        try:
            verify_consistency(size, checkpoint.tree_size, proof, prefix.root(), checkpoint.root_hash)
        except VerificationError:
            return False
        return True

    if prefix_in_tree(len(recomputed)):
        return None
    good, bad = 0, len(recomputed)  # prefix_in_tree(good) holds, prefix_in_tree(bad) does not
    while bad - good > 1:
        middle = (good + bad) // 2
        if prefix_in_tree(middle):
            good = middle
        else:
            bad = middle
    return base.size + bad - 1


__all__ = ["DocumentKind", "LogSource", "MonitorAlarm", "MonitorReport", "MonitorState", "run"]


def _missing_as_alarm(entries: Iterable[LogEntry]) -> Iterator[LogEntry]:
    """The registry refuses to serve a page with a missing row (a `log-integrity` problem naming the leaf):
    that is the same alarm as a gap in the page."""
    try:
        yield from entries
    except RegistryProblem as exc:
        missing = exc.body.get("leaf_index")
        if exc.slug != "log-integrity" or not isinstance(missing, int):
            raise
        raise MonitorAlarm("ENTRY_MISSING", f"leaf {missing} is missing from the log's entries", missing) from exc
