"""Status proofs end to end on a small log built here: a map leaf last in its checkpoint, and tampering.

The log holds three certificates and a status event, then the `status_map` leaf whose map is built
from exactly those leaves, as the registry's append transaction would; the checkpoint is signed over
all of it. Each tampering a server (or a man in the middle) could try is refused with its own code.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from verification.checkpoint import Checkpoint, sign_checkpoint
from verification.cli import app as verify_cli
from verification.cosignature import Cosigner
from verification.errors import MalformedInput, ProofInvalid, VerificationError
from verification.leaf import DocumentKind, LogEntry, entry_leaf_hash
from verification.merkle import inclusion_proof, root_from_leaf_hashes
from verification.note import NoteSigner
from verification.policy import Policy
from verification.replay import DocumentReplay
from verification.status_map import ChainHeadValue
from verification.status_map_tree import StatusMapTree
from verification.status_proof import StatusMapRoot, StatusProof, verify_status_proof

LOG = NoteSigner.from_private_key("registry.test/log", Cosigner.generate("log").private_key)
OTHER = NoteSigner.from_private_key("registry.test/log", Cosigner.generate("other").private_key)
POLICY = Policy.no_witnesses(LOG.verifier())
T0 = 1_772_355_600_000_000  # 2026-03-01T09:00:00Z in microseconds

CREDENTIALS = [b"credential %d" % n for n in range(3)]
IDS = [hashlib.sha256(c).digest() for c in CREDENTIALS]
EVENT = b"status event 1 of credential 1"


class _Log:
    """Leaves as (kind, document); the map follows the certificate and status-event leaves."""

    def __init__(self) -> None:
        self.leaves: list[bytes] = []
        self.map = StatusMapTree()
        self.heads: dict[bytes, ChainHeadValue] = {}

    def append(self, kind: DocumentKind, document: bytes) -> int:
        self.leaves.append(entry_leaf_hash(kind, T0 + len(self.leaves), document))
        return len(self.leaves) - 1

    def certificate(self, credential: bytes) -> None:
        index = self.append(DocumentKind.CERTIFICATE, credential)
        certificate_id = hashlib.sha256(credential).digest()
        self._set(certificate_id, ChainHeadValue(index, 0, certificate_id.hex(), index))

    def event(self, certificate_id: bytes, document: bytes) -> None:
        index = self.append(DocumentKind.CERTIFICATE_EVENT, document)
        head = self.heads[certificate_id]
        digest = hashlib.sha256(document).hexdigest()
        self._set(certificate_id, ChainHeadValue(head.certificate_leaf, head.sequence + 1, digest, index))

    def _set(self, certificate_id: bytes, head: ChainHeadValue) -> None:
        self.heads[certificate_id] = head
        self.map.put(certificate_id, head.encode())

    def commit(self, kind: DocumentKind = DocumentKind.STATUS_MAP) -> tuple[StatusMapRoot, int, str]:
        """Append the map root as the transaction's last leaf and sign the checkpoint."""
        document = StatusMapRoot(len(self.leaves), len(self.map), self.map.root)
        index = self.append(kind, document.encode())
        return document, index, self.sign()

    def sign(self, signer: NoteSigner = LOG) -> str:
        root = root_from_leaf_hashes(self.leaves)
        return sign_checkpoint(Checkpoint(signer.name, len(self.leaves), root), signer)

    def proof(self, certificate_id: bytes, committed: tuple[StatusMapRoot, int, str], size: int = 0) -> StatusProof:
        document, index, note = committed
        size = size or index + 1
        nodes = inclusion_proof(index, size, lambda s, e: root_from_leaf_hashes(self.leaves[s:e]))
        return StatusProof(
            certificate_id=certificate_id,
            head=self.heads.get(certificate_id),
            map_proof=self.map.prove(certificate_id),
            map_root=document,
            map_leaf_index=index,
            map_integrated_us=T0 + index,
            inclusion_proof=tuple(nodes),
            checkpoint=note,
        )


def _world() -> tuple[_Log, tuple[StatusMapRoot, int, str]]:
    log = _Log()
    log.append(DocumentKind.PROGRAMME, b"programme")
    for credential in CREDENTIALS:
        log.certificate(credential)
    log.event(IDS[1], EVENT)
    return log, log.commit()


def test_the_latest_head_and_an_unknown_certificate_are_proved() -> None:
    log, committed = _world()
    result = verify_status_proof(log.proof(IDS[1], committed), POLICY)
    assert result.checkpoint.tree_size == 6
    assert result.head == ChainHeadValue(2, 1, hashlib.sha256(EVENT).hexdigest(), 4)
    assert verify_status_proof(log.proof(IDS[0], committed), POLICY).head == ChainHeadValue(1, 0, IDS[0].hex(), 1)
    unknown = hashlib.sha256(b"never submitted").digest()
    assert verify_status_proof(log.proof(unknown, committed), POLICY).head is None


def test_json_round_trip_verifies() -> None:
    log, committed = _world()
    proof = log.proof(IDS[1], committed)
    assert StatusProof.from_json(proof.to_json()) == proof


def test_an_older_head_is_refused() -> None:
    """The rollback this map exists to stop: showing the chain as it was before a withdrawal."""
    log, committed = _world()
    proof = log.proof(IDS[1], committed)
    older = ChainHeadValue(2, 0, IDS[1].hex(), 2)
    with pytest.raises(ProofInvalid, match="VALUE_MISMATCH"):
        verify_status_proof(replace(proof, head=older), POLICY)
    with pytest.raises(ProofInvalid, match="KEY_PRESENT"):
        verify_status_proof(replace(proof, head=None), POLICY)


def test_an_old_map_with_a_newer_checkpoint_is_refused() -> None:
    """A map root that is not the checkpoint's last leaf could predate later events in that tree."""
    log, old = _world()
    log.event(IDS[1], b"status event 2 of credential 1")
    log.commit()
    stale = log.proof(IDS[1], old, size=len(log.leaves))
    stale = replace(stale, head=ChainHeadValue(2, 1, hashlib.sha256(EVENT).hexdigest(), 4), checkpoint=log.sign())
    with pytest.raises(ProofInvalid, match="MAP_LEAF_NOT_LAST"):
        verify_status_proof(stale, POLICY)


def test_a_map_root_logged_under_another_kind_is_refused() -> None:
    log = _Log()
    log.certificate(CREDENTIALS[0])
    committed = log.commit(kind=DocumentKind.CERTIFICATE)
    with pytest.raises(ProofInvalid, match="ROOT_MISMATCH"):
        verify_status_proof(log.proof(IDS[0], committed), POLICY)


def test_a_map_root_claiming_another_log_size_is_refused() -> None:
    log = _Log()
    log.certificate(CREDENTIALS[0])
    document = StatusMapRoot(0, len(log.map), log.map.root)  # covers nothing, yet logged after leaf 0
    index = log.append(DocumentKind.STATUS_MAP, document.encode())
    with pytest.raises(ProofInvalid, match="MAP_SIZE_MISMATCH"):
        verify_status_proof(log.proof(IDS[0], (document, index, log.sign())), POLICY)


def test_a_checkpoint_from_another_key_is_refused() -> None:
    log, (document, index, _) = _world()
    with pytest.raises(VerificationError):
        verify_status_proof(log.proof(IDS[1], (document, index, log.sign(OTHER))), POLICY)


def _mutations(data: dict[str, Any]) -> list[dict[str, Any]]:
    def flip(text: str) -> str:
        middle = len(text) // 2
        return text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1 :]

    leaf, proof = data["map_leaf"], data["map_proof"]
    return [
        {**data, "certificate_id": IDS[0].hex()},
        {**data, "map_root": {**data["map_root"], "root": "00" * 32}},
        {**data, "map_root": {**data["map_root"], "entries": 99}},
        {**data, "map_leaf": {**leaf, "leaf_index": leaf["leaf_index"] - 1}},
        {**data, "map_leaf": {**leaf, "integrated_at": "2026-03-01T09:00:00.000001Z"}},
        {**data, "map_leaf": {**leaf, "inclusion_proof": [flip(leaf["inclusion_proof"][0])]}},
        {**data, "map_leaf": {**leaf, "inclusion_proof": leaf["inclusion_proof"][1:]}},
        {**data, "map_proof": {**proof, "siblings": [flip(proof["siblings"][0]), *proof["siblings"][1:]]}},
        {**data, "map_proof": {**proof, "siblings": proof["siblings"][1:]}},
        {**data, "map_proof": {**proof, "leaf": None}},
        {**data, "head": {**data["head"], "sequence": 2}},
        {**data, "head": {**data["head"], "head_leaf": 5}},
        {**data, "checkpoint": data["checkpoint"].replace("\n6\n", "\n5\n")},
        {**data, "extra": True},
    ]


def test_every_single_tampering_is_refused() -> None:
    log, committed = _world()
    data = log.proof(IDS[1], committed).to_json()
    verify_status_proof(StatusProof.from_json(data), POLICY)
    for forged in _mutations(data):
        with pytest.raises(VerificationError):
            verify_status_proof(StatusProof.from_json(forged), POLICY)


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.sampled_from("AQgw+/"))
def test_no_character_of_a_proof_can_change_unnoticed(position: int, replacement: str) -> None:
    """Any one character of any base64 or hex member replaced: refused, unless it changed nothing."""
    log, committed = _world()
    data = log.proof(IDS[1], committed).to_json()
    fields = [*data["map_leaf"]["inclusion_proof"], *data["map_proof"]["siblings"]]
    target = fields[position % len(fields)]
    offset = position // len(fields) % 43  # the 44th character is base64 padding
    changed = target[:offset] + replacement + target[offset + 1 :]
    text = json.dumps(data).replace(target, changed, 1)
    forged = json.loads(text)
    if changed == target:
        return
    with pytest.raises(VerificationError):
        verify_status_proof(StatusProof.from_json(forged), POLICY)


def test_map_root_document_is_canonical_and_strict() -> None:
    document = StatusMapRoot(5, 3, bytes(range(32)))
    assert document.encode() == b'{"entries":3,"log_size":5,"root":"' + bytes(range(32)).hex().encode() + b'","v":1}'
    assert StatusMapRoot.from_json(document.to_json()) == document
    for bad in ({**document.to_json(), "v": 2}, {**document.to_json(), "root": "AB" * 32}, {"v": 1}):
        with pytest.raises(MalformedInput):
            StatusMapRoot.from_json(bad)
    with pytest.raises(MalformedInput):
        StatusMapRoot(-1, 0, bytes(32))


def _run_cli(tmp_path: Path, data: dict[str, Any], *options: str) -> Result:
    path = tmp_path / "status-proof.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return CliRunner().invoke(verify_cli, ["status-proof", str(path), *options])


def test_cli_names_the_latest_event_and_refuses_tampering(tmp_path: Path) -> None:
    log, committed = _world()
    data = log.proof(IDS[1], committed).to_json()
    key = LOG.verifier().to_string()
    ran = _run_cli(tmp_path, data, "--certificate", IDS[1].hex(), "--key", key)
    assert ran.exit_code == 0, ran.output
    assert "tree size 6" in ran.output
    assert f"is number 1, document SHA-256 {hashlib.sha256(EVENT).hexdigest()}, leaf 4" in ran.output
    older = {**data, "head": {**data["head"], "sequence": 0, "head_sha256": IDS[1].hex(), "head_leaf": 2}}
    refused = _run_cli(tmp_path, older, "--certificate", IDS[1].hex(), "--key", key)
    assert refused.exit_code == 1
    assert "VALUE_MISMATCH" in refused.output
    other = _run_cli(tmp_path, data, "--certificate", IDS[0].hex(), "--key", key)
    assert other.exit_code == 1
    assert "not " + IDS[0].hex() in other.output
    wrong_key = _run_cli(tmp_path, data, "--certificate", IDS[1].hex(), "--key", OTHER.verifier().to_string())
    assert wrong_key.exit_code == 1
    assert _run_cli(tmp_path, data, "--certificate", IDS[1].hex()).exit_code == 2


def test_cli_reports_an_unknown_certificate_with_its_absence_proof(tmp_path: Path) -> None:
    log, committed = _world()
    unknown = hashlib.sha256(b"never submitted").digest()
    policy = tmp_path / "policy.txt"
    policy.write_text(POLICY.text, encoding="utf-8")
    ran = _run_cli(
        tmp_path, log.proof(unknown, committed).to_json(), "--certificate", unknown.hex(), "--policy", str(policy)
    )
    assert ran.exit_code == 0, ran.output
    assert f"holds no certificate {unknown.hex()}" in ran.output


def test_the_replay_checks_each_status_map_leaf_it_meets() -> None:
    document = StatusMapRoot(4, 1, bytes(32))

    def entry(index: int, data: bytes) -> LogEntry:
        digest = hashlib.sha256(data).digest()
        return LogEntry(
            index, DocumentKind.STATUS_MAP, T0, entry_leaf_hash(DocumentKind.STATUS_MAP, T0, data), digest, data
        )

    replay = DocumentReplay()
    replay.check(entry(4, document.encode()))
    with pytest.raises(VerificationError, match="MAP_SIZE_MISMATCH"):
        replay.check(entry(5, document.encode()))
    with pytest.raises(MalformedInput, match="NOT_CANONICAL"):
        replay.check(entry(4, document.encode().replace(b",", b", ")))
