"""The bulk resume file: atomic, programme-bound and pinned to one registry key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from certifiers.state import Acknowledged, BulkState, StateMismatch


def test_a_missing_state_file_means_a_fresh_start(tmp_path: Path) -> None:
    state = BulkState.load(tmp_path / "state.json", "cn-cel")
    assert (state.programme, state.acknowledged, state.checkpoint_verifier_key) == ("cn-cel", {}, None)


def test_state_round_trips_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = BulkState("cn-cel")
    state.pin_registry_key("registry.test/log+01234567+AQ==")
    state.acknowledged["CEL-1"] = Acknowledged("aa" * 32, 7, "accepted", (2, 3))
    state.save(path)
    state.save(path)  # replacing an existing file works the same way
    assert BulkState.load(path, "cn-cel") == state
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
    assert json.loads(path.read_text())["acknowledged"]["CEL-1"]["leaf_index"] == 7


def test_a_state_of_another_programme_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    BulkState("cn-cel").save(path)
    with pytest.raises(StateMismatch, match="for programme 'cn-cel', not 'blue-angel'"):
        BulkState.load(path, "blue-angel")


def test_a_different_registry_key_is_refused(tmp_path: Path) -> None:
    state = BulkState("cn-cel")
    state.pin_registry_key("one+00000000+AQ==")
    state.pin_registry_key("one+00000000+AQ==")
    with pytest.raises(StateMismatch, match="checkpoint key is now"):
        state.pin_registry_key("two+00000000+AQ==")


@pytest.mark.parametrize("content", ["", "[]", '{"version": 99}', '{"version": 1, "programme": "cn-cel"}'])
def test_a_file_that_is_not_a_state_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StateMismatch, match="not a bulk-submission state file"):
        BulkState.load(path, "cn-cel")
