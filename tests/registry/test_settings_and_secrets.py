"""Configuration refuses what would make a deployment unsafe; secrets are created with tight permissions."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from ecolabel_registry.errors import ConfigurationError
from ecolabel_registry.settings import Mode, Settings
from ecolabel_registry.signing_key import load_or_create_signing_key


@pytest.mark.parametrize("token", [None, "", "changeme", "short-but-random"])
def test_production_mode_refuses_missing_or_weak_admin_tokens(token: str | None) -> None:
    with pytest.raises(ValidationError, match="ECOLABEL_ADMIN_TOKEN"):
        Settings(mode=Mode.PRODUCTION, admin_token=token)


def test_production_mode_accepts_a_long_random_token() -> None:
    settings = Settings(mode=Mode.PRODUCTION, admin_token="x9" * 20)
    assert settings.resolved_admin_token().get_secret_value() == "x9" * 20


def test_settings_come_from_prefixed_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOLABEL_LOG_ORIGIN", "registry.example/log")
    monkeypatch.setenv("ECOLABEL_MAX_BODY_BYTES", "2048")
    settings = Settings()
    assert settings.log_origin == "registry.example/log"
    assert settings.max_body_bytes == 2048


@pytest.mark.parametrize("origin", ["https://example.org/log", "has space/log", "a+b/log", ""])
def test_log_origin_must_be_a_valid_note_key_name(origin: str) -> None:
    with pytest.raises(ValidationError):
        Settings(log_origin=origin)


def test_development_admin_token_is_generated_once_with_mode_0600(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(admin_token_path=tmp_path / "admin-token")
    first = settings.resolved_admin_token().get_secret_value()
    assert first in capsys.readouterr().err
    second = settings.resolved_admin_token().get_secret_value()
    assert first == second
    assert capsys.readouterr().err == "", "the token is printed only when it is generated"
    assert stat.S_IMODE((tmp_path / "admin-token").stat().st_mode) == 0o600


def test_signing_key_is_created_with_mode_0600_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "registry.pem"
    created = load_or_create_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_signing_key(path).public_key() == created.public_key()


def test_a_signing_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "registry.pem"
    load_or_create_signing_key(path)
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_or_create_signing_key(path)
