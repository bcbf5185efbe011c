"""Key files: created 0600 and never overwritten; files others can read are refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from certifiers.keys import KeyFileError, keygen, load_private_key, load_signing_key
from verification.jwk import parse_public_jwk


def test_keygen_writes_an_owner_only_pkcs8_file_and_returns_the_public_jwk(tmp_path: Path) -> None:
    path = tmp_path / "programme.pem"
    jwk = keygen(path, "cel-2026")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert set(jwk) == {"kty", "crv", "x", "kid"}
    assert jwk["kid"] == "cel-2026"
    signer = load_signing_key(path, "cel-2026")
    assert signer.public_jwk() == jwk
    assert parse_public_jwk(jwk).raw == signer.public.raw


def test_keygen_refuses_to_overwrite_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "programme.pem"
    keygen(path, "one")
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        keygen(path, "two")
    assert path.read_bytes() == before


def test_keygen_does_not_follow_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    (tmp_path / "link.pem").symlink_to(target)
    with pytest.raises(KeyFileError):
        keygen(tmp_path / "link.pem", "kid")
    assert not target.exists()


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_a_key_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "programme.pem"
    keygen(path, "kid")
    path.chmod(mode)
    with pytest.raises(KeyFileError, match=rf"mode {mode:04o}.*chmod 600"):
        load_private_key(path)


def test_an_owner_read_only_key_file_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "programme.pem"
    keygen(path, "kid")
    path.chmod(0o400)
    load_private_key(path)


def test_a_file_that_is_not_an_ed25519_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "not-a-key.pem"
    path.write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match=r"not-a-key\.pem"):
        load_private_key(path)


def test_a_missing_key_file_is_a_key_file_error(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot read"):
        load_private_key(tmp_path / "absent.pem")


def test_signing_key_repr_hides_the_private_key(tmp_path: Path) -> None:
    path = tmp_path / "programme.pem"
    keygen(path, "kid")
    assert "private" not in repr(load_signing_key(path, "kid")).lower()
