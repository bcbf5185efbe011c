"""Key events that waited for a threshold of roots, a proposal that went stale, and an operator's recovery
replay to the same tables: fsck finds nothing, and a rebuilt database lists the same keys and proposals."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ecolabel_registry.app import create_app
from ecolabel_registry.integrity import check as checks
from ecolabel_registry.integrity.rebuild import rebuild
from ecolabel_registry.settings import Settings
from ecolabel_registry.signing_key import load_or_create_signing_key
from tests.registry.factories import Certifier, certificate_id, certifier
from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey


def _jwk(body: Certifier, kid: str, *, root: bool = False) -> dict[str, str]:
    private = generate_private_key()
    (body.roots if root else body.keys)[kid] = private
    return PublicKey.from_private_key(private, kid=kid).to_jwk()


def _post(client: TestClient, body: Certifier, event: str, approver: str | None = None) -> int:
    path = f"/v1/programmes/{body.programme_id}/key-events"
    if approver is None:
        return client.post(path, json={"event": event}).status_code
    approval = body.key_event_approval(event, kid=approver)
    return client.post(f"{path}/{certificate_id(event)}/approvals", json={"approval": approval}).status_code


def test_threshold_events_stale_proposals_and_recoveries_replay_exactly(
    client: TestClient, admin_headers: dict[str, str], engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    body = certifier(client, admin_headers, "japan-eco-mark", root_count=2, root_threshold=2)
    first, second = list(body.roots)
    one = body.key_event("add", key=_jwk(body, "one"), signing_kid=first)
    body.key_events -= 1
    other = body.key_event("add", key=_jwk(body, "other"), signing_kid=second)
    assert (_post(client, body, one), _post(client, body, other)) == (202, 202)
    assert _post(client, body, other, approver=first) == 201  # applied; `one` is now stale
    pending = body.key_event("retire", kid="other", signing_kid=first)
    assert _post(client, body, pending) == 202  # still waiting when the registry is checked
    recovery = {"root_keys": [_jwk(body, "recovered-root", root=True)], "root_threshold": 1, "reason": "roots lost"}
    recovered = client.post(f"/v1/programmes/{body.programme_id}/recovery", json=recovery, headers=admin_headers)
    assert recovered.status_code == 201, recovered.text
    body.key_events += 1
    body.kid = "other"
    assert client.post("/v1/certificates", json={"credential": body.credential("JP/112/0001")}).status_code == 201

    key = load_or_create_signing_key(settings.signing_key_path)
    report = checks.check(engine, settings, key, replica=tmp_path / "replica.sqlite3", full=True)
    assert report.divergence is None, report.divergence

    target = f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}"
    rebuild(engine, target, settings, key, progress=None)
    with TestClient(create_app(settings.model_copy(update={"database_url": target}))) as rebuilt:
        for path in ("/keys", "/key-events/pending", ""):
            url = f"/v1/programmes/{body.programme_id}{path}"
            assert rebuilt.get(url).json() == client.get(url).json(), url
