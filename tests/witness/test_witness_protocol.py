"""The witness against C2SP tlog-witness `add-checkpoint`: each rule's status code, persistence, atomicity.

The first test feeds it checkpoints signed by Go's golang.org/x/mod/sumdb/note and a consistency proof
from transparency-dev/witness (persistence/sqlite/sqlite_test.go, TestDeadlock): another implementation's
log and proof, not ours.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.witness.app import create_witness_app
from ecolabel_registry.witness.state import origin_hash
from tests.merkle_model import PerfectNodes
from verification.checkpoint import Checkpoint, sign_checkpoint
from verification.cosignature import Cosigner, verify_cosignatures
from verification.merkle import EMPTY_ROOT, consistency_proof, leaf_hash, root_from_leaf_hashes
from verification.note import NoteSigner, NoteVerifier, open_note

GO_LOG_VKEY = "monkeys+db4d9f7e+AULaJMvTtDLHPUcUrjdDad9vDlh/PTfC2VV60JUtCfWT"
GO_CHECKPOINT_5 = (
    "monkeys\n5\n41smjBUiAU70EtKlT6lIOIYtRTYxYXsDB+XHfcvu/BE=\n\n"
    "\u2014 monkeys 202fftzGl3LVoqjXfwCFZZXs8I+5G22+Ek2K0AOyBuSJ/8/CZawNF+6fNlTKOCd622pbzJNkkJFWuw9DbicZCkEx9AY=\n"
)
GO_CHECKPOINT_8 = (
    "monkeys\n8\nV8K9aklZ4EPB+RMOk1/8VsJUdFZR77GDtZUQq84vSbo=\n\n"
    "\u2014 monkeys 202ffoUEboiQYpHzICeaFmoy3RNviHTpAxYrq/eO4QQVQMvu9UebKBMX2MJC76NLthZaKsnKbCA8GxrjePZhvDCH7Ag=\n"
)
GO_PROOF_5_TO_8 = [
    "b9e1d62618f7fee8034e4c5010f727ab24d8e4705cb296c374bf2025a87a10d2",
    "aac66cd7a79ce4012d80762fe8eec3a77f22d1ca4145c3f4cee022e7efcd599d",
    "89d0f753f66a290c483b39cd5e9eafb12021293395fad3d4a2ad053cfbcfdc9e",
    "29e40bb79c966f4c6fe96aff6f30acfce5f3e8d84c02215175d6e018a5dee833",
]
ORIGIN = "registry.test/log"
LOG = NoteSigner.from_private_key(ORIGIN, Cosigner.generate("k").private_key)
LEAVES = [leaf_hash(b"leaf %d" % i) for i in range(40)]
MODEL = PerfectNodes(LEAVES)


def subtree(start: int, end: int) -> bytes:
    return root_from_leaf_hashes(LEAVES[start:end])


def signed(size: int, root: bytes | None = None, signer: NoteSigner = LOG) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, root if root is not None else subtree(0, size)), signer)


def body(old: int, note: str, proof: list[bytes] | None = None) -> bytes:
    if proof is None:
        proof = consistency_proof(old, int(note.split("\n")[1]), subtree) if old else []
    lines = [f"old {old}", *(base64.b64encode(node).decode() for node in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


class Running:
    def __init__(self, tmp_path: Path, cosigner: Cosigner) -> None:
        self.state = tmp_path / "state"
        self.cosigner = cosigner
        logs = {ORIGIN: [LOG.verifier()], "monkeys": [NoteVerifier.from_string(GO_LOG_VKEY)]}
        self.client = TestClient(create_witness_app(cosigner, logs, self.state, clock=lambda: 1_767_225_600.5))

    def submit(self, payload: bytes) -> tuple[int, str, str]:
        response = self.client.post("/add-checkpoint", content=payload)
        return response.status_code, response.text, response.headers.get("content-type", "")


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[Running]:
    running = Running(tmp_path, Cosigner.generate("witness.test/w1"))
    with running.client:
        yield running


def test_cosigns_checkpoints_of_a_log_signed_by_another_implementation(witness: Running) -> None:
    status, text, media = witness.submit(body(0, GO_CHECKPOINT_5, []))
    assert status == 200, text
    assert media.startswith("text/plain")
    assert text.startswith("\u2014 witness.test/w1 ")
    assert verify_cosignatures(GO_CHECKPOINT_5 + text, [witness.cosigner.key]) == {witness.cosigner.key: 1_767_225_600}
    proof = [bytes.fromhex(h) for h in GO_PROOF_5_TO_8]
    status, text, _ = witness.submit(body(5, GO_CHECKPOINT_8, proof))
    assert status == 200, text
    assert witness.cosigner.key in verify_cosignatures(GO_CHECKPOINT_8 + text, [witness.cosigner.key])


def test_each_step_extends_what_was_cosigned(witness: Running) -> None:
    assert witness.submit(body(0, signed(3)))[0] == 200
    assert witness.submit(body(3, signed(17)))[0] == 200
    assert witness.submit(body(17, signed(17)))[0] == 200  # the same tree again: cosigned again
    assert witness.submit(body(17, signed(40)))[0] == 200
    latest = witness.client.get(f"/{origin_hash(ORIGIN)}/checkpoint")
    assert latest.status_code == 200
    # The monitoring endpoint: the log's signature that was verified, and this witness's cosignature.
    assert open_note(latest.text, [LOG.verifier()]).text.split("\n")[1] == "40"
    assert witness.cosigner.key in verify_cosignatures(latest.text, [witness.cosigner.key])
    assert witness.client.get(f"/{origin_hash('other.test/log')}/checkpoint").status_code == 404
    assert witness.client.get("/not-a-hash/checkpoint").status_code == 404


def test_a_stale_old_size_is_a_conflict_naming_the_cosigned_size(witness: Running) -> None:
    assert witness.submit(body(0, signed(12)))[0] == 200
    for old in (0, 5, 11):
        status, text, media = witness.submit(body(old, signed(20)))
        assert (status, text, media) == (409, "12\n", "text/x.tlog.size")
    assert witness.submit(body(12, signed(20)))[0] == 200  # the client retries with the size it was told


def test_rollback_and_fork_are_refused_and_kept_as_evidence(witness: Running) -> None:
    assert witness.submit(body(0, signed(20)))[0] == 200
    # Rollback: a smaller tree. Claiming the right old size makes it "old > size": malformed.
    assert witness.submit(body(20, signed(10), []))[0] == 400
    assert witness.submit(body(0, signed(10)))[0] == 409
    # Fork: the same size, another root, validly signed by the log.
    fork = signed(20, root=bytes(32))
    status, text, _ = witness.submit(body(20, fork))
    assert status == 422, text
    evidence = list((witness.state / "evidence").iterdir())
    assert [path.read_text() for path in evidence] == [fork]
    # A larger tree whose proof does not lead from the cosigned root.
    other = [leaf_hash(b"other %d" % i) for i in range(30)]
    forked = sign_checkpoint(Checkpoint(ORIGIN, 30, root_from_leaf_hashes(LEAVES[:20] + other[20:])), LOG)
    assert witness.submit(body(20, forked, consistency_proof(20, 30, subtree)))[0] == 422
    assert witness.submit(body(20, signed(30), consistency_proof(20, 29, subtree)))[0] == 422
    latest = witness.client.get(f"/{origin_hash(ORIGIN)}/checkpoint").text
    assert latest.split("\n")[1] == "20"


def test_who_may_submit_is_decided_by_the_log_signature_alone(witness: Running) -> None:
    stranger = NoteSigner.from_private_key(ORIGIN, Cosigner.generate("s").private_key)
    assert witness.submit(body(0, signed(5, signer=stranger)))[0] == 403
    tampered = signed(5).replace("\n5\n", "\n6\n")
    assert witness.submit(body(0, tampered))[0] == 403  # a trusted key's line that fails: malformed note
    unknown = NoteSigner.from_private_key("unknown.test/log", Cosigner.generate("u").private_key)
    note = sign_checkpoint(Checkpoint("unknown.test/log", 5, subtree(0, 5)), unknown)
    assert witness.submit(body(0, note))[0] == 404


@pytest.mark.parametrize(
    "payload",
    [
        b"old 0\n" + GO_CHECKPOINT_5.encode(),  # no blank line
        b"old 01\n\n" + GO_CHECKPOINT_5.encode(),
        b"old -1\n\n" + GO_CHECKPOINT_5.encode(),
        b"new 0\n\n" + GO_CHECKPOINT_5.encode(),
        b"old 0\nnot base64\n\n" + GO_CHECKPOINT_5.encode(),
        b"old 0\nAAAA\n\n" + GO_CHECKPOINT_5.encode(),
        ("old 0\n" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" * 64 + "\n").encode() + GO_CHECKPOINT_5.encode(),
        b"old 0\n\nmonkeys\nfive\n41smjBUiAU70EtKlT6lIOIYtRTYxYXsDB+XHfcvu/BE=\n\n\xe2\x80\x94 monkeys AAAAAAA=\n",
        b"\xff\xfe",
    ],
)
def test_malformed_submissions_are_bad_requests(witness: Running, payload: bytes) -> None:
    assert witness.submit(payload)[0] == 400


def test_the_empty_tree_and_proofs_from_it(witness: Running) -> None:
    assert witness.submit(body(0, signed(0, root=bytes(32))))[0] == 422  # size 0 has the empty root
    assert witness.submit(body(0, signed(0, root=EMPTY_ROOT)))[0] == 200
    assert witness.submit(body(0, signed(8), [subtree(0, 8)]))[0] == 422  # from size 0 the proof is empty
    assert witness.submit(body(0, signed(8)))[0] == 200


def test_state_survives_a_restart(tmp_path: Path) -> None:
    cosigner = Cosigner.generate("witness.test/w1")
    with Running(tmp_path, cosigner).client as first:
        assert first.post("/add-checkpoint", content=body(0, signed(9))).status_code == 200
    again = Running(tmp_path, cosigner)
    with again.client:
        assert again.submit(body(0, signed(12)))[:2] == (409, "9\n")
        assert again.submit(body(9, signed(12)))[0] == 200


def test_concurrent_submissions_never_roll_back(witness: Running) -> None:
    """Two clients race from the same old size: one wins, the other learns the new size (never both)."""
    assert witness.submit(body(0, signed(10)))[0] == 200
    outcomes: list[int] = []
    barrier = threading.Barrier(8)

    def race(size: int) -> None:
        barrier.wait()
        outcomes.append(witness.submit(body(10, signed(size)))[0])

    threads = [threading.Thread(target=race, args=(11 + n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [200] + [409] * 7
    size = int(witness.client.get(f"/{origin_hash(ORIGIN)}/checkpoint").text.split("\n")[1])
    assert size in range(11, 19)


def test_an_oversized_submission_is_refused_before_it_is_read(witness: Running) -> None:
    assert witness.submit(b"old 0\n\n" + b"x" * 70_000)[0] == 413
