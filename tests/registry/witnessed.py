"""A registry app with two witnesses of its own (real witness apps) and the worker's witnessing loop."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ecolabel_registry.app import create_app
from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.log.witnessing import Witnessing
from ecolabel_registry.settings import Settings
from ecolabel_registry.signing_key import load_or_create_signing_key
from tests.registry.log_builder import LogBuilder
from tests.witness.fleet import FleetWitness, fleet, http_client
from verification.note import NoteSigner
from verification.policy import Policy


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
