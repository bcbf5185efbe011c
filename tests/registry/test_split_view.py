"""A split view: the registry shows two different trees of the same size to two clients.

Only the registry's key is needed to sign both, so a lone verifier cannot tell. Witnesses can: each
cosigns only a checkpoint consistent with the last it cosigned, so the second view is refused, and a
verifier that requires their cosignatures (C2SP tlog-policy) refuses a view they did not see.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.registry.log_builder import BASE_US
from tests.registry.witnessed import Registry
from tests.witness.fleet import fleet
from verification.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from verification.cli import app as verify_cli
from verification.client import monitor
from verification.errors import SignatureInvalid
from verification.leaf import DocumentKind, LogEntry, entry_leaf_hash
from verification.merkle import inclusion_proof, root_from_leaf_hashes
from verification.policy import WitnessQuorumNotMet
from verification.receipt import Receipt

FORGED_DOCUMENT = b"a licence the registry never logged publicly"


def _second_view(registry: Registry, size: int) -> tuple[str, list[bytes]]:
    """The same log with leaf 3 replaced, signed by the registry's own key: a fork of the same size."""
    leaves = list(registry.log.leaf_hashes[:size])
    leaves[3] = entry_leaf_hash(DocumentKind.CERTIFICATE, BASE_US + 3, FORGED_DOCUMENT)
    note = sign_checkpoint(Checkpoint(registry.signer.name, size, root_from_leaf_hashes(leaves)), registry.signer)
    return note, leaves


class _Shows:
    """A log source that shows this monitor one particular checkpoint, and nothing else."""

    def __init__(self, note: str) -> None:
        self.note = note

    def checkpoint(self) -> str:
        return self.note

    witnessed_checkpoint = checkpoint

    def entries(self, _start: int, _end: int) -> list[LogEntry]:
        raise AssertionError("the monitor must refuse the checkpoint before reading any entry")

    def consistency_proof(self, _first: int, _second: int) -> list[bytes]:
        raise AssertionError("not reached")

    def inclusion_proof(self, _leaf_index: int, _tree_size: int) -> tuple[bytes, list[bytes]]:
        raise AssertionError("not reached")


def test_the_second_view_is_refused_by_the_witnesses_and_by_verifiers(registry: Registry, tmp_path: Path) -> None:
    registry.log.extend_to(12)
    registry.witnessing.round()
    view_a = registry.client.get("/log/checkpoint").text
    policy = registry.policy("all")
    assert policy.verify(view_a).checkpoint.tree_size == 12  # what the first client sees
    view_b, leaves_b = _second_view(registry, 12)
    assert verify_checkpoint(view_b, registry.signer.verifier()).tree_size == 12  # the log's key alone accepts it

    for witness in registry.witnesses:
        assert witness.client.post("/add-checkpoint", content=b"old 12\n\n" + view_b.encode()).status_code == 422
        assert witness.client.post("/add-checkpoint", content=b"old 0\n\n" + view_b.encode()).status_code == 409
        kept = [
            path.read_text()
            for path in (tmp_path / f"witness-{registry.witnesses.index(witness) + 1}" / "evidence").iterdir()
        ]
        assert view_b in kept  # the refused view is kept: with view A, it proves the log forked

    with pytest.raises(WitnessQuorumNotMet, match="QUORUM_NOT_MET"):
        policy.verify(view_b)
    copied = view_b + "".join(line + "\n" for line in view_a.split("\n") if line.startswith("\u2014 witness"))
    with pytest.raises(SignatureInvalid, match="BAD_COSIGNATURE"):
        policy.verify(copied)  # cosignatures of view A do not stretch to view B
    with pytest.raises(WitnessQuorumNotMet):
        monitor.run(_Shows(view_b), None, pinned_key=registry.signer.verifier().to_string(), policy=policy)

    # The second client holds a receipt for the forged document, with a valid inclusion proof in view B.
    proof = inclusion_proof(3, 12, lambda a, b: root_from_leaf_hashes(leaves_b[a:b]))
    receipt = Receipt(3, DocumentKind.CERTIFICATE, BASE_US + 3, leaves_b[3], view_b, tuple(proof))
    (tmp_path / "receipt.json").write_text(json.dumps(receipt.to_dict()))
    (tmp_path / "forged.jws").write_bytes(FORGED_DOCUMENT)
    (tmp_path / "policy.txt").write_text(policy.text)
    key = registry.signer.verifier().to_string()
    runner = CliRunner()
    alone = runner.invoke(
        verify_cli, ["receipt", str(tmp_path / "receipt.json"), str(tmp_path / "forged.jws"), "--key", key]
    )
    assert alone.exit_code == 0, alone.output  # without witnesses the split view goes unnoticed
    witnessed = runner.invoke(
        verify_cli,
        [
            "receipt",
            str(tmp_path / "receipt.json"),
            str(tmp_path / "forged.jws"),
            "--policy",
            str(tmp_path / "policy.txt"),
        ],
    )
    assert witnessed.exit_code == 1
    assert "QUORUM_NOT_MET" in witnessed.output


def test_witnesses_shown_different_views_leave_neither_view_witnessed(registry: Registry, tmp_path: Path) -> None:
    """The log shows view A to one witness and view B to the other: each view gets one cosignature, a
    quorum of both refuses each, and the two cosigned checkpoints together prove the fork."""
    note_a = registry.log.extend_to(12)
    note_b, _ = _second_view(registry, 12)
    with fleet(tmp_path / "partitioned", registry.signer.verifier()) as (first, second):
        line_a = first.client.post("/add-checkpoint", content=b"old 0\n\n" + note_a.encode())
        line_b = second.client.post("/add-checkpoint", content=b"old 0\n\n" + note_b.encode())
        assert (line_a.status_code, line_b.status_code) == (200, 200)
        registry.witnesses = [first, second]
        both, either = registry.policy("all"), registry.policy("any")
        for note, line in ((note_a, line_a.text), (note_b, line_b.text)):
            with pytest.raises(WitnessQuorumNotMet):
                both.verify(note + line)
            assert either.verify(note + line)  # a quorum of one would let the split view through
        a, b = (verify_checkpoint(n, registry.signer.verifier()) for n in (note_a, note_b))
        assert a.tree_size == b.tree_size  # two signed trees of one size
        assert a.root_hash != b.root_hash
        # Each witness notices as soon as it is shown the other view.
        assert second.client.post("/add-checkpoint", content=b"old 12\n\n" + note_a.encode()).status_code == 422
        assert first.client.post("/add-checkpoint", content=b"old 12\n\n" + note_b.encode()).status_code == 422
