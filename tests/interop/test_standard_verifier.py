"""A relying party that knows only the standards checks the demo credentials and their status.

`standard_verifier.mjs` resolves did:web DID documents, verifies each credential as a vc+jwt with the
`jose` library from npm (pinned in package.json and package-lock.json) and reads its bits from the
Bitstring Status Lists; it imports nothing of this project. Its verdicts must match the registry's.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from ecolabel_registry.app import build_context
from ecolabel_registry.demo.loader import load
from ecolabel_registry.demo.spec import load_world
from ecolabel_registry.settings import Settings
from tests.demo.conftest import small_world
from tests.registry.live import live_servers

SCRIPT = Path(__file__).resolve().parent / "standard_verifier.mjs"
PUBLIC_ORIGIN = "https://registry.test"  # the settings' log origin host: the DIDs' and the lists' host

pytestmark = pytest.mark.slow


def _verify(credentials: list[str], local_url: str) -> list[dict[str, Any]]:
    request = json.dumps({"credentials": credentials, "origins": {PUBLIC_ORIGIN: local_url}})
    finished = subprocess.run(
        ["node", str(SCRIPT)], input=request, capture_output=True, text=True, timeout=120, check=False
    )
    assert finished.returncode == 0, finished.stderr
    results: list[dict[str, Any]] = json.loads(finished.stdout)
    return results


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    middle = len(payload) // 2
    swapped = "B" if payload[middle] != "B" else "C"
    return f"{header}.{payload[:middle]}{swapped}{payload[middle + 1 :]}.{signature}"


def test_a_jose_verifier_with_did_documents_and_status_lists_agrees_with_the_registry(
    settings: Settings, tmp_path: Path
) -> None:
    context = build_context(settings)
    try:
        load(context, small_world(load_world()), tmp_path / "demo-keys", workers=1)
    finally:
        context.engine.dispose()
    with live_servers(settings, 1, tmp_path) as (server,), httpx.Client(base_url=server.url) as client:
        items = client.get("/v1/certificates", params={"limit": 500}).json()["items"]
        tokens = {
            item["id"]: client.get(f"/v1/certificates/{item['id']}", headers={"accept": "application/vc+jwt"}).text
            for item in items
        }
        expected = {item["id"]: item["status"] for item in items}
        forged = _tampered(next(iter(tokens.values())))
        results = _verify([*tokens.values(), forged], server.url)
    assert len(results) == len(tokens) + 1
    *checked, refused = results
    assert not refused["ok"]
    revoked = 0
    for result in checked:
        assert result["ok"], result
        assert result["issuer"].startswith("did:web:registry.test:programmes:")
        status = expected[result["id"]]
        assert result["statuses"] == {"revocation": status == "withdrawn", "suspension": status == "suspended"}
        revoked += result["statuses"]["revocation"]
    assert revoked >= 1  # the demo world withdraws a licence: the comparison covers a set bit
