"""Recomputing the status map from the log: the right roots pass, a wrong one is named by its leaf."""

from __future__ import annotations

import hashlib
import json

import pytest

from verification.b64 import b64url_encode
from verification.errors import HistoryInvalid, ProofInvalid
from verification.leaf import DocumentKind, LogEntry
from verification.status_map import ChainHeadValue
from verification.status_map_audit import StatusMapAudit
from verification.status_map_tree import StatusMapTree
from verification.status_proof import StatusMapRoot

T0 = 1_772_355_600_000_000


def _event(certificate: bytes, sequence: int) -> bytes:
    payload = {"type": "CertificateStatusEvent", "certificate": certificate.hex(), "sequence": sequence}
    return b"e30." + b64url_encode(json.dumps(payload).encode()).encode() + b".c2ln"


class _Log:
    def __init__(self) -> None:
        self.entries: list[LogEntry] = []
        self.model = StatusMapTree()  # what an honest registry computes

    def add(self, kind: DocumentKind, document: bytes) -> int:
        index = len(self.entries)
        digest = hashlib.sha256(document).digest()
        self.entries.append(LogEntry(index, kind, T0 + index, bytes(32), digest, document))
        return index

    def certificate(self, document: bytes) -> bytes:
        index = self.add(DocumentKind.CERTIFICATE, document)
        key = hashlib.sha256(document).digest()
        self.model.put(key, ChainHeadValue(index, 0, key.hex(), index).encode())
        return key

    def event(self, key: bytes, certificate_leaf: int, sequence: int) -> None:
        document = _event(key, sequence)
        index = self.add(DocumentKind.CERTIFICATE_EVENT, document)
        head = ChainHeadValue(certificate_leaf, sequence, hashlib.sha256(document).hexdigest(), index)
        self.model.put(key, head.encode())

    def commit(self, root: bytes | None = None, entries: int | None = None) -> int:
        size = len(self.entries)
        document = StatusMapRoot(size, len(self.model) if entries is None else entries, root or self.model.root)
        return self.add(DocumentKind.STATUS_MAP, document.encode())


def _honest() -> _Log:
    log = _Log()
    log.add(DocumentKind.PROGRAMME, b"{}")
    first = log.certificate(b"credential one")
    log.commit()
    log.certificate(b"credential two")
    log.event(first, 1, 1)
    log.commit()
    log.add(DocumentKind.AGREEMENT, b"an agreement")
    log.event(first, 1, 2)
    log.commit()
    return log


def test_the_roots_of_an_honest_log_are_all_right() -> None:
    audit = StatusMapAudit()
    for entry in _honest().entries:
        audit.feed(entry)
    assert audit.roots_checked == 3
    assert len(audit.tree) == 2


@pytest.mark.parametrize("wrong", ["root", "entries", "an older head"])
def test_a_wrong_root_is_named_by_its_leaf(wrong: str) -> None:
    log = _honest()
    key = hashlib.sha256(b"credential one").digest()
    if wrong == "root":
        index = log.commit(root=hashlib.sha256(b"another map").digest())
    elif wrong == "entries":
        index = log.commit(entries=1)
    else:  # the registry rolled the first certificate's head back before computing the root
        log.model.put(key, ChainHeadValue(1, 0, key.hex(), 1).encode())
        index = log.commit()
    audit = StatusMapAudit()
    for entry in log.entries[:-1]:
        audit.feed(entry)
    with pytest.raises(ProofInvalid, match=f"STATUS_MAP_WRONG.*leaf {index}"):
        audit.feed(log.entries[-1])


def test_an_event_out_of_its_chain_or_an_edited_document_is_refused() -> None:
    log = _honest()
    log.event(hashlib.sha256(b"credential two").digest(), 3, 2)  # skips sequence 1
    audit = StatusMapAudit()
    for entry in log.entries[:-1]:
        audit.feed(entry)
    with pytest.raises(HistoryInvalid, match="EVENT_OUT_OF_CHAIN"):
        audit.feed(log.entries[-1])
    edited = _honest().entries
    event = edited[4]
    assert event.kind is DocumentKind.CERTIFICATE_EVENT
    other = _event(hashlib.sha256(b"credential two").digest(), 1)  # moved to another certificate
    edited[4] = LogEntry(4, event.kind, event.integrated_us, event.leaf_hash, event.document_sha256, other)
    audit = StatusMapAudit()
    for entry in edited[:4]:
        audit.feed(entry)
    with pytest.raises(ProofInvalid, match="DOCUMENT_MISMATCH"):
        audit.feed(edited[4])
