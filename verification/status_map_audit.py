"""Auditing the status map from the log alone (docs/VERIFIABLE-MAP.md §4.3).

The map is a function of the log: each `certificate` leaf puts its id (the SHA-256 of the credential,
which is the leaf's `document_sha256`) with a chain head of sequence 0, each `certificate_event` leaf
moves its certificate's head, and each `status_map` leaf must state exactly the map of the leaves
before it. Feeding every entry in order to `StatusMapAudit` recomputes the map and refuses the first
logged root that differs, so a registry that committed to a wrong map is caught by anyone who reads
its log. Signatures are not checked here: the monitor's replay does that for the same entries.

    audit = StatusMapAudit()
    for entry in entries:  # from leaf 0, in order, documents checked against their hashes
        audit.feed(entry)
"""

from __future__ import annotations

import hashlib

from verification.b64 import b64url_decode
from verification.errors import HistoryInvalid, MalformedInput, ProofInvalid
from verification.leaf import DocumentKind, LogEntry
from verification.status_map import ChainHeadValue
from verification.status_map_tree import StatusMapTree
from verification.status_proof import StatusMapRoot
from verification.strictjson import loads_strict

__all__ = ["StatusMapAudit"]


class StatusMapAudit:
    """The map recomputed leaf by leaf; `roots_checked` counts the logged roots found correct."""

    def __init__(self) -> None:
        self.tree = StatusMapTree()
        self.heads: dict[bytes, ChainHeadValue] = {}
        self.roots_checked = 0
        self.next_index = 0

    def feed(self, entry: LogEntry) -> None:
        if entry.leaf_index != self.next_index:
            raise MalformedInput("ENTRY_OUT_OF_ORDER", f"expected leaf {self.next_index}, got {entry.leaf_index}")
        self.next_index += 1
        if entry.kind is DocumentKind.CERTIFICATE:
            key, leaf = entry.document_sha256, entry.leaf_index
            self._set(key, ChainHeadValue(leaf, 0, key.hex(), leaf))
        elif entry.kind is DocumentKind.CERTIFICATE_EVENT:
            self._event(entry)
        elif entry.kind is DocumentKind.STATUS_MAP:
            self._root(entry)

    def _set(self, key: bytes, head: ChainHeadValue) -> None:
        self.heads[key] = head
        self.tree.put(key, head.encode())

    def _event(self, entry: LogEntry) -> None:
        payload = _payload(_document(entry))
        certificate, sequence = payload.get("certificate"), payload.get("sequence")
        if not isinstance(certificate, str) or not isinstance(sequence, int) or isinstance(sequence, bool):
            raise MalformedInput("BAD_STATUS_EVENT", f"leaf {entry.leaf_index}: no certificate id and sequence")
        try:
            key = bytes.fromhex(certificate)
        except ValueError as exc:
            raise MalformedInput("BAD_STATUS_EVENT", f"leaf {entry.leaf_index}: certificate is not hex") from exc
        head = self.heads.get(key)
        if head is None or sequence != head.sequence + 1:
            raise HistoryInvalid(
                "EVENT_OUT_OF_CHAIN",
                f"leaf {entry.leaf_index}: event {sequence} does not follow its certificate's chain",
            )
        self._set(key, ChainHeadValue(head.certificate_leaf, sequence, entry.document_sha256.hex(), entry.leaf_index))

    def _root(self, entry: LogEntry) -> None:
        data = _document(entry)
        logged = StatusMapRoot.from_json(loads_strict(data))
        expected = StatusMapRoot(log_size=entry.leaf_index, entries=len(self.tree), root=self.tree.root)
        if logged.encode() != data or logged != expected:
            raise ProofInvalid(
                "STATUS_MAP_WRONG",
                f"leaf {entry.leaf_index}: the logged status map is not the map of the leaves before it "
                f"(logged {logged.entries} entries, root {logged.root.hex()[:16]}…; "
                f"recomputed {expected.entries}, {expected.root.hex()[:16]}…)",
            )
        self.roots_checked += 1


def _document(entry: LogEntry) -> bytes:
    if entry.document is None or hashlib.sha256(entry.document).digest() != entry.document_sha256:
        raise ProofInvalid("DOCUMENT_MISMATCH", f"leaf {entry.leaf_index}: the document is missing or not its hash's")
    return entry.document


def _payload(document: bytes) -> dict[str, object]:
    """The payload of a compact JWS, unverified (the monitor's replay verifies the signature)."""
    parts = document.split(b".")
    if len(parts) != 3:
        raise MalformedInput("BAD_JWS", "a status event is a compact JWS")
    try:
        encoded = parts[1].decode("ascii")
    except UnicodeDecodeError as exc:
        raise MalformedInput("BAD_JWS", "a compact JWS is ASCII") from exc
    payload = loads_strict(b64url_decode(encoded, what="JWS payload"))
    if not isinstance(payload, dict):
        raise MalformedInput("BAD_JWS", "a status event's payload is a JSON object")
    return payload
