"""The worker submits each new checkpoint to the configured witnesses and the API serves their
cosignatures: /log/checkpoint carries both, and a verifier's policy accepts it (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecolabel_registry.log.witnessing import Head, Outcome, _bring_up_to_date
from tests.registry import log_builder
from tests.registry.log_builder import LogBuilder
from tests.registry.witnessed import Registry
from tests.witness.fleet import InProcess
from verification.checkpoint import Checkpoint, sign_checkpoint
from verification.cli import app as verify_cli
from verification.client import monitor
from verification.client.tiles import TiledLog
from verification.cosignature import verify_cosignatures
from verification.policy import Policy, WitnessQuorumNotMet
from verification.tlog_proof import TlogProof, verify_tlog_proof


def test_every_new_checkpoint_is_cosigned_by_both_witnesses(registry: Registry) -> None:
    assert registry.witnessing.round() == {}  # nothing to witness in an empty log
    registry.log.extend_to(5)
    assert set(registry.witnessing.round().values()) == {Outcome.COSIGNED}
    assert set(registry.witnessing.round().values()) == {Outcome.ALREADY}
    registry.log.extend_to(300)  # now the witnesses need a consistency proof from 5
    assert set(registry.witnessing.round().values()) == {Outcome.COSIGNED}

    note = registry.client.get("/log/checkpoint").text
    witnessed = registry.policy("all").verify(note)
    assert witnessed.checkpoint.tree_size == 300
    assert set(witnessed.cosigned_by) == {"w1", "w2"}
    assert registry.client.get("/v1/log/checkpoint").json()["checkpoint"] == note
    identity = registry.client.get("/.well-known/ecolabel-registry").json()
    assert [w["vkey"] for w in identity["witnesses"]] == [w.cosigner.key.to_string() for w in registry.witnesses]
    assert set(Policy.parse(identity["witness_policy"]).verify(note).cosigned_by) == {"w1", "w2"}


def test_the_published_checkpoint_is_the_newest_witnessed_one(registry: Registry) -> None:
    registry.log.extend_to(10)
    registry.witnessing.round()
    registry.log.extend_to(20)  # not yet witnessed
    assert registry.policy().verify(registry.client.get("/log/checkpoint").text).checkpoint.tree_size == 10
    head = registry.client.get("/v1/log/checkpoint").json()  # the head, with what it has: nothing yet
    assert head["tree_size"] == 20
    with pytest.raises(WitnessQuorumNotMet):
        registry.policy().verify(head["checkpoint"])


def test_a_witness_that_is_down_does_not_hold_back_the_other(registry: Registry) -> None:
    second = registry.witnesses[1]
    second.up = False
    registry.log.extend_to(7)
    assert registry.witnessing.round() == {"witness1.test/w": Outcome.COSIGNED, "witness2.test/w": Outcome.UNREACHABLE}
    note = registry.client.get("/log/checkpoint").text
    assert set(registry.policy("any").verify(note).cosigned_by) == {"w1"}
    with pytest.raises(WitnessQuorumNotMet):
        registry.policy("all").verify(note)
    # Backed off: not tried again at once; once up and due, it catches up from size 0.
    second.up = True
    assert "witness2.test/w" not in registry.witnessing.round()
    registry.witnessing.clock = lambda: 1_000.0
    assert registry.witnessing.round()["witness2.test/w"] is Outcome.COSIGNED
    assert set(registry.policy("all").verify(registry.client.get("/log/checkpoint").text).cosigned_by) == {"w1", "w2"}


def test_a_witness_fed_by_someone_else_is_caught_up_from_the_size_it_names(registry: Registry) -> None:
    first = registry.witnesses[0]
    note5 = registry.log.extend_to(5)
    # Anyone may submit a log's checkpoint to a witness (tlog-witness "Introduction"); a monitor did.
    assert first.client.post("/add-checkpoint", content=b"old 0\n\n" + note5.encode()).status_code == 200
    registry.log.extend_to(12)
    assert registry.witnessing.round()["witness1.test/w"] is Outcome.COSIGNED  # 409 "5", then from 5
    cosigned = verify_cosignatures(registry.client.get("/log/checkpoint").text, [first.cosigner.key])
    assert first.cosigner.key in cosigned


def test_a_witness_shown_another_tree_refuses_and_the_worker_reports_it(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    first = registry.witnesses[0]
    registry.log.extend_to(6)
    # The registry's key signs a different tree of size 6 and shows it to the first witness only.
    other = sign_checkpoint(Checkpoint(registry.signer.name, 6, bytes(32)), registry.signer)
    assert first.client.post("/add-checkpoint", content=b"old 0\n\n" + other.encode()).status_code == 200
    registry.log.extend_to(9)
    with caplog.at_level("ERROR", logger="ecolabel_registry.witnessing"):
        outcomes = registry.witnessing.round()
    assert outcomes["witness1.test/w"] is Outcome.REFUSED
    assert outcomes["witness2.test/w"] is Outcome.COSIGNED
    assert "refused size 9: 422" in caplog.text


def test_a_tlog_proof_carries_the_witnesses_and_checks_offline(registry: Registry, tmp_path: Path) -> None:
    registry.log.extend_to(20)
    registry.witnessing.round()
    registry.log.extend_to(25)  # leaves 20.. are not yet in a witnessed checkpoint
    text = registry.client.get("/v1/log/proofs/tlog-proof", params={"leaf_index": 3}).text
    proof = TlogProof.parse(text)
    checkpoint, leaf = verify_tlog_proof(proof, log_builder.document(3), registry.policy("all"))
    assert checkpoint.tree_size == 20
    assert leaf == log_builder.leaf(3)
    late = registry.client.get("/v1/log/proofs/tlog-proof", params={"leaf_index": 22})
    assert late.status_code == 404
    assert late.json()["code"] == "NOT_YET_PUBLISHED"

    (tmp_path / "leaf.tlog-proof").write_text(text)
    (tmp_path / "document").write_bytes(log_builder.document(3))
    (tmp_path / "policy.txt").write_text(registry.policy("all").text)
    arguments = ["receipt", str(tmp_path / "leaf.tlog-proof"), str(tmp_path / "document")]
    result = CliRunner().invoke(verify_cli, [*arguments, "--policy", str(tmp_path / "policy.txt")])
    assert result.exit_code == 0, result.output
    assert "witnessed by w1, w2" in result.output
    (tmp_path / "document").write_bytes(log_builder.document(4))
    result = CliRunner().invoke(verify_cli, [*arguments, "--policy", str(tmp_path / "policy.txt")])
    assert result.exit_code == 1
    assert "LEAF_MISMATCH" in result.output


def test_a_monitor_follows_the_witnessed_tiles_under_a_policy(registry: Registry) -> None:
    private = LogBuilder(registry.engine, registry.signer, private=True)
    private.extend_to(300)
    transport = InProcess(registry.client)
    key = registry.signer.verifier().to_string()
    with TiledLog.open("http://testserver/log", transport=transport) as tiles:
        with pytest.raises(WitnessQuorumNotMet):  # nothing witnessed yet
            monitor.run(tiles, None, pinned_key=key, policy=registry.policy("all"))
        registry.witnessing.round()
        state, report = monitor.run(tiles, None, pinned_key=key, policy=registry.policy("all"))
        assert report.tree_size == 300
        private.extend_to(700)
        registry.witnessing.round()
        state, report = monitor.run(tiles, state, policy=registry.policy("all"))
        assert (report.previous_size, report.tree_size, report.entries_checked) == (300, 700, 400)


def test_a_witness_fed_a_newer_checkpoint_meanwhile_is_not_taken_for_a_fork(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    """The worker read the head at size 5; before it submits, the log grows to 9 and a monitor feeds the
    witness the checkpoint of size 9. The witness's 409 names 9: the worker reads the head again."""
    first = registry.witnesses[0]
    note5 = registry.log.extend_to(5)
    note9 = registry.log.extend_to(9)
    assert first.client.post("/add-checkpoint", content=b"old 0\n\n" + note9.encode()).status_code == 200
    with caplog.at_level("ERROR", logger="ecolabel_registry.witnessing"):
        outcome = _bring_up_to_date(registry.engine, first.endpoint, Head(5, note5), registry.witnessing.client)
    assert outcome is Outcome.COSIGNED
    assert "diverged" not in caplog.text
    assert first.cosigner.key in verify_cosignatures(registry.client.get("/log/checkpoint").text, [first.cosigner.key])
