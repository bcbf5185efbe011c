"""The worker submits each new checkpoint to the configured witnesses and the API serves their
cosignatures: /log/checkpoint carries both, and a verifier's policy accepts it (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ecolabel_registry.app import create_app
from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.log.witnessing import Outcome, Witnessing
from ecolabel_registry.settings import Settings
from ecolabel_registry.signing_key import load_or_create_signing_key
from tests.registry.log_builder import LogBuilder
from tests.witness.fleet import FleetWitness, fleet, http_client
from verification.checkpoint import Checkpoint, sign_checkpoint
from verification.cosignature import verify_cosignatures
from verification.note import NoteSigner
from verification.policy import Policy, WitnessQuorumNotMet


@dataclass
class Registry:
    client: TestClient
    engine: Engine
    log: LogBuilder
    witnesses: list[FleetWitness]
    witnessing: Witnessing
    signer: NoteSigner

    def policy(self, quorum: str = "all") -> Policy:
        lines = [f"log {self.signer.verifier().to_string()}"]
        lines += [f"witness w{n} {w.cosigner.key.to_string()}" for n, w in enumerate(self.witnesses, start=1)]
        names = " ".join(f"w{n}" for n in range(1, len(self.witnesses) + 1))
        return Policy.parse("\n".join([*lines, f"group g {quorum} {names}", "quorum g"]) + "\n")


@pytest.fixture
def registry(settings: Settings, tmp_path: Path) -> Iterator[Registry]:
    signer = NoteSigner.from_private_key(settings.log_origin, load_or_create_signing_key(settings.signing_key_path))
    with fleet(tmp_path, signer.verifier()) as witnesses:
        configured = settings.model_copy(update={"witnesses": tuple(w.endpoint for w in witnesses)})
        engine = build_engine(configured.database_url, pool_size=2)
        with (
            TestClient(create_app(configured), raise_server_exceptions=False) as client,
            http_client(witnesses) as http,
        ):
            clock = [0.0]
            witnessing = Witnessing(engine, configured.witnesses, http, clock=lambda: clock[0])
            yield Registry(client, engine, LogBuilder(engine, signer), witnesses, witnessing, signer)
        engine.dispose()


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
