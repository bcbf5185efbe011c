"""The demo's own secrets, generated locally and kept in one directory (default `var/demo-keys/`).

- two Ed25519 keys per demo programme (mode 0600), the same on every run so that a second load re-creates
  byte-identical documents and the registry recognises them: its signing key (`<programme>.pem`) and its
  root key (`<programme>-root.pem`), which alone could change the programme's keys;
- the API tokens issued to demo organisations (`organisation-tokens.json`, mode 0600), so that a later
  run can act as those organisations again and a person can try the supply-chain API with them.

No key here is, or pretends to be, a real programme's key: each is generated on this machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecolabel_registry.errors import ConfigurationError
from ecolabel_registry.signing_key import load_or_create_signing_key
from verification.client.files import write_atomically
from verification.jwk import PublicKey

DEFAULT_DIRECTORY = Path("var/demo-keys")
TOKENS_FILE = "organisation-tokens.json"


@dataclass(frozen=True)
class DemoKey:
    programme: str
    kid: str
    private_key: Ed25519PrivateKey = field(repr=False)

    @property
    def public(self) -> PublicKey:
        return PublicKey.from_private_key(self.private_key, self.kid)


def _private_directory(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)  # the keys inside are 0600 already; this keeps their names private too


def programme_keys(directory: Path, programmes: list[str]) -> dict[str, DemoKey]:
    """Load each programme's demo signing key from `directory`, creating the missing ones (mode 0600)."""
    _private_directory(directory)
    # The registry's own key loader already creates exclusively with 0600 and refuses readable files.
    return {
        programme: DemoKey(programme, f"{programme}-demo-1", load_or_create_signing_key(directory / f"{programme}.pem"))
        for programme in programmes
    }


def root_keys(directory: Path, programmes: list[str]) -> dict[str, DemoKey]:
    """Load each programme's demo root key (`<programme>-root.pem`), creating the missing ones (mode 0600)."""
    _private_directory(directory)
    return {
        programme: DemoKey(
            programme, f"{programme}-root-1", load_or_create_signing_key(directory / f"{programme}-root.pem")
        )
        for programme in programmes
    }


class TokenStore:
    """Organisation key (world.json) -> the API token a registry issued to that organisation.

    Tokens belong to one database, and the same key directory may serve several (the SQLite file of
    `make run` and the PostgreSQL of `make layout`), so they are filed under the registry they came
    from, named by the hash of its first log leaf, which no other registry shares.
    """

    def __init__(self, directory: Path, registry: str) -> None:
        self.path = directory / TOKENS_FILE
        self.registry = registry
        self._all: dict[str, dict[str, str]] = {}
        if self.path.exists():
            if self.path.stat().st_mode & 0o077:
                raise ConfigurationError(f"{self.path} must be readable by its owner only (chmod 600)")
            loaded = orjson.loads(self.path.read_bytes())
            if not isinstance(loaded, dict) or not all(isinstance(v, dict) for v in loaded.values()):
                raise ConfigurationError(f"{self.path} is not a JSON object of token sets")
            self._all = loaded
        self.tokens: dict[str, str] = dict(self._all.get(registry, {}))

    def save(self) -> None:
        _private_directory(self.path.parent)
        self._all[self.registry] = self.tokens
        tokens = orjson.dumps(self._all, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        write_atomically(self.path, tokens, mode=0o600)  # an interrupted run never leaves half a token file
