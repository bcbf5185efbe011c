"""How many agreements an answer may chain is the operator's setting, ECOLABEL_RECOGNITION_MAX_DEPTH."""

from __future__ import annotations

import itertools

import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.app import create_app
from ecolabel_registry.settings import Settings
from tests.recognition.world import conclude, equivalence, scope, signatory


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECOLABEL_RECOGNITION_MAX_DEPTH", raising=False)
    assert Settings().recognition_max_depth == 3
    monkeypatch.setenv("ECOLABEL_RECOGNITION_MAX_DEPTH", "5")
    assert Settings().recognition_max_depth == 5
    monkeypatch.setenv("ECOLABEL_RECOGNITION_MAX_DEPTH", "0")
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        Settings()


def test_equivalence_follows_at_most_the_configured_number_of_agreements(
    client: TestClient, admin_headers: dict[str, str], settings: Settings
) -> None:
    parties = [signatory(client, admin_headers, name) for name in ("cec", "jea", "sgls")]
    for source, target in itertools.pairwise(parties):
        token = source.agreement(
            [source.programme_id, target.programme_id],
            [scope(source.programme_id, "flooring", target.programme_id, "flooring")],
            onwardRecognition=True,
        )
        conclude(client, source, [target], token)
    asked = {"programme": "cec", "category": "flooring", "accepted": "sgls:flooring", "date": "2025-01-01"}
    assert len(equivalence(client, **asked)["path"]) == 2
    with TestClient(create_app(settings.model_copy(update={"recognition_max_depth": 1}))) as shallow:
        assert equivalence(shallow, **asked)["decision"] == "not_accepted"
