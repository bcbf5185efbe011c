"""LOG_SHRANK: the registry refuses a log shorter than a checkpoint it recorded or a witness holds."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from ecolabel_registry.errors import ConfigurationError
from ecolabel_registry.log import shrinkage
from ecolabel_registry.settings import Settings
from tests.registry.witnessed import Registry
from tests.witness.fleet import http_client
from verification.ed25519 import generate_private_key
from verification.note import NoteSigner, sign_note, split_note


def _roll_back_head(registry: Registry, size: int, note: str) -> None:
    """What a promoted asynchronous standby looks like: the head of an earlier, smaller log."""
    with registry.engine.begin() as connection:
        connection.execute(
            text("UPDATE log_state SET tree_size = :s, checkpoint = :n WHERE id = 1"), {"s": size, "n": note}
        )


def test_a_log_shorter_than_the_recorded_checkpoint_is_refused(registry: Registry, tmp_path: Path) -> None:
    record = tmp_path / "latest-checkpoint"
    verifier = registry.signer.verifier()
    earlier = registry.log.extend_to(5)
    newest = registry.log.extend_to(8)
    assert shrinkage.remember(record, newest, verifier) == 8
    assert shrinkage.remember(record, earlier, verifier) == 8  # the record never goes back
    assert shrinkage.check(registry.engine, record=record, verifier=verifier) == 8
    _roll_back_head(registry, 5, earlier)
    with pytest.raises(shrinkage.LogShrank, match=r"LOG_SHRANK: the database's log has 5 entries") as refused:
        shrinkage.check(registry.engine, record=record, verifier=verifier)
    assert "the checkpoint record" in str(refused.value)
    assert "tree size 8" in str(refused.value)


def test_a_log_shorter_than_a_witness_holds_is_refused(registry: Registry, settings: Settings, tmp_path: Path) -> None:
    earlier = registry.log.extend_to(3)
    registry.log.extend_to(6)
    registry.witnessing.round()  # both witnesses cosign tree size 6
    witnesses = tuple(w.endpoint for w in registry.witnesses)
    verifier = registry.signer.verifier()
    with http_client(registry.witnesses) as client:
        assert (
            shrinkage.check(
                registry.engine, record=tmp_path / "none", verifier=verifier, witnesses=witnesses, client=client
            )
            == 6
        )
        _roll_back_head(registry, 3, earlier)
        with pytest.raises(shrinkage.LogShrank, match="LOG_SHRANK") as refused:
            shrinkage.check(
                registry.engine, record=tmp_path / "none", verifier=verifier, witnesses=witnesses, client=client
            )
    assert "witness" in str(refused.value)
    assert "tree size 6" in str(refused.value)


def test_a_record_signed_by_another_key_is_not_trusted(registry: Registry, tmp_path: Path) -> None:
    stranger = NoteSigner.from_private_key(registry.signer.name, generate_private_key())
    note = sign_note(split_note(registry.log.extend_to(2))[0], [stranger])  # the same text, another key
    record = tmp_path / "latest-checkpoint"
    record.write_text(note, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not hold a checkpoint signed by this registry"):
        shrinkage.check(registry.engine, record=record, verifier=registry.signer.verifier())


def test_an_unreachable_witness_does_not_block_the_check(registry: Registry, tmp_path: Path) -> None:
    registry.log.extend_to(2)
    witnesses = tuple(w.endpoint for w in registry.witnesses)
    with httpx.Client(
        transport=httpx.MockTransport(lambda _: (_ for _ in ()).throw(httpx.ConnectError("down")))
    ) as down:
        assert (
            shrinkage.check(
                registry.engine,
                record=tmp_path / "none",
                verifier=registry.signer.verifier(),
                witnesses=witnesses,
                client=down,
            )
            == 2
        )
