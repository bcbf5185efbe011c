"""Fixtures for the certifier toolkit.

The registry suite's `settings` fixture is reused, so the integration tests run against real
`ecolabel-registry serve` processes on both SQLite and PostgreSQL, exactly like the registry's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from certifiers import operations
from certifiers.client import CertifierClient
from certifiers.events import category_definition, criteria_document, sign_category
from certifiers.keys import SigningKey, keygen, load_signing_key
from ecolabel_registry.settings import Settings
from tests.certifiers.factories import CATEGORY
from tests.registry import conftest as registry_fixtures
from tests.registry.live import live_servers
from verification.ed25519 import generate_private_key
from verification.note import NoteVerifier

PROGRAMME = "cn-cel"
ADMIN_TOKEN = registry_fixtures.ADMIN_TOKEN
settings = registry_fixtures.settings  # the registry suite's fixture, re-exported: one definition for both


@pytest.fixture
def signer() -> SigningKey:
    return SigningKey("cel-key-1", generate_private_key())


@dataclass(frozen=True)
class LiveProgramme:
    """A running registry with programme cn-cel registered and category HJ 2536 / 2016 defined."""

    url: str
    id: str
    key_path: Path
    signer: SigningKey
    verifier: NoteVerifier
    root_path: Path

    def client(self) -> CertifierClient:
        return CertifierClient(self.url)


@pytest.fixture
def registry_url(settings: Settings, tmp_path: Path) -> Iterator[str]:
    log_dir = tmp_path / "server-logs"
    log_dir.mkdir()
    with live_servers(settings, 1, log_dir) as (server,):
        yield server.url


@pytest.fixture
def live_programme(registry_url: str, tmp_path: Path) -> LiveProgramme:
    key_path = tmp_path / "cel-key-1.pem"
    keygen(key_path, "cel-key-1")
    signer = load_signing_key(key_path, "cel-key-1")
    root_path = tmp_path / "cel-root-1.pem"
    root_jwk = keygen(root_path, "cel-root-1")
    with CertifierClient(registry_url, admin_token=ADMIN_TOKEN) as client:
        verifier = client.checkpoint_verifier()
        body = operations.registration_body(
            programme_id=PROGRAMME,
            names={"en": "China Environmental Labelling", "zh": "中国环境标志"},
            countries=["CN"],
            root_keys=[root_jwk],
            keys=[signer.public_jwk()],
            gen_member=True,
            website="https://www.mee.gov.cn/",
        )
        operations.register_programme(client, body, verifier)
        category = category_definition(
            programme=PROGRAMME,
            code=CATEGORY[0],
            names={"en": "Office paper"},
            criteria=criteria_document("HJ 2536-2016", CATEGORY[1], datetime(2016, 1, 1, tzinfo=UTC)),
        )
        operations.define_category(client, PROGRAMME, sign_category(category, signer), verifier)
    return LiveProgramme(registry_url, PROGRAMME, key_path, signer, verifier, root_path)
