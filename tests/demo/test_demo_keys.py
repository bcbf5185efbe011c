"""Demo keys and tokens: generated locally, private to their owner, reused, and never silently swapped."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from ecolabel_registry.app import build_context
from ecolabel_registry.cli import app as registry_cli
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.demo.keys import TOKENS_FILE
from ecolabel_registry.demo.loader import load
from ecolabel_registry.demo.outcome import DemoLoadError
from ecolabel_registry.demo.spec import World
from ecolabel_registry.settings import Settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_and_tokens_are_readable_by_their_owner_only_and_reused(
    context: RegistryContext, small: World, key_directory: Path
) -> None:
    first = load(context, small, key_directory, workers=1)
    assert first.leaves_added > 0
    assert _mode(key_directory) == 0o700
    key_files = sorted(key_directory.glob("*.pem"))
    ids = [p.id for p in small.programmes]
    assert sorted(path.stem for path in key_files) == sorted([*ids, *(f"{i}-root" for i in ids)])
    assert all(_mode(path) == 0o600 for path in [*key_files, key_directory / TOKENS_FILE])
    before = {path: path.read_bytes() for path in key_files}
    again = load(context, small, key_directory, workers=1)
    assert again.leaves_added == 0
    assert {path: path.read_bytes() for path in key_files} == before


def test_one_key_directory_serves_two_registries_without_reissuing_tokens(
    context: RegistryContext, small: World, key_directory: Path, settings: Settings, sqlite_template: Path
) -> None:
    other_database = settings.signing_key_path.parent / "other.sqlite3"
    shutil.copyfile(sqlite_template, other_database)
    other = build_context(settings.model_copy(update={"database_url": f"sqlite:///{other_database}"}))
    try:
        load(context, small, key_directory, workers=1)
        load(other, small, key_directory, workers=1)
        saved = orjson.loads((key_directory / TOKENS_FILE).read_bytes())
        assert len(saved) == 2
        assert all(set(tokens) == {o.key for o in small.organisations} for tokens in saved.values())
        assert load(context, small, key_directory, workers=1).leaves_added == 0
        assert load(other, small, key_directory, workers=1).leaves_added == 0
    finally:
        other.engine.dispose()


def test_a_replaced_key_directory_is_refused_rather_than_used(
    context: RegistryContext, small: World, key_directory: Path, tmp_path: Path
) -> None:
    load(context, small, key_directory, workers=1)
    with pytest.raises(DemoLoadError, match="registered with another key"):
        load(context, small, tmp_path / "other-keys", workers=1)


def test_the_command_loads_a_world_file_and_refuses_production_mode(
    small: World, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world_file = tmp_path / "world.json"
    world_file.write_bytes(orjson.dumps(small.model_dump(mode="json", by_alias=True)))
    monkeypatch.setenv("ECOLABEL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ECOLABEL_SIGNING_KEY_PATH", str(settings.signing_key_path))
    monkeypatch.setenv("ECOLABEL_ADMIN_TOKEN", "demo-test-admin-token-0123456789abcdefghijkl")
    keys = ["--keys", str(tmp_path / "keys"), "--world", str(world_file), "--workers", "1"]
    result = CliRunner().invoke(registry_cli, ["demo", *keys])
    assert result.exit_code == 0, result.output
    assert "locally generated" in result.output
    monkeypatch.setenv("ECOLABEL_MODE", "production")
    refused = CliRunner().invoke(registry_cli, ["demo", *keys])
    assert refused.exit_code == 1
    assert "production mode" in refused.output
