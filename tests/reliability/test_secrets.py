"""The admin token is compared in constant time (hmac.compare_digest), whatever is presented.

Timing itself is not measured (no wall-clock thresholds in tests): the test proves that every admin
check reaches the constant-time comparison, so replacing it by `==` fails here.
"""

from __future__ import annotations

import hmac

import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.api import deps
from tests.registry.factories import programme_registration


@pytest.mark.parametrize("presented", ["wrong", "test-admin-token-0123456789abcdefghijklmnop-but-longer", ""])
def test_every_admin_check_goes_through_compare_digest(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, presented: str
) -> None:
    seen: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return original(a, b)

    monkeypatch.setattr(deps.hmac, "compare_digest", spy)
    response = client.post(
        "/v1/programmes",
        content=programme_registration().body,
        headers={"Authorization": f"Bearer {presented}", "content-type": "application/json"},
    )
    assert response.status_code == 401
    if presented:  # an empty credential is refused before any comparison
        assert (presented.encode(), deps_token(client)) in seen


def deps_token(client: TestClient) -> bytes:
    token: bytes = client.app.state.registry.admin_token.get_secret_value().encode()  # type: ignore[attr-defined]
    return token
