"""Reliability tests reuse the service fixtures (`settings`, `client`, `admin_headers`) of tests/registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.app import create_app
from ecolabel_registry.settings import Settings
from tests.registry.conftest import admin_headers, client, settings  # noqa: F401  # re-exported fixtures

PROBLEM = "application/problem+json"


@pytest.fixture
def app_with(settings: Settings) -> Callable[..., AbstractContextManager[TestClient]]:  # noqa: F811
    """A client for an app on the test database with some settings changed: `with app_with(x=1) as http:`."""

    @contextmanager
    def build(**changes: Any) -> Iterator[TestClient]:
        with TestClient(create_app(settings.model_copy(update=changes)), raise_server_exceptions=False) as http:
            yield http

    return build


def assert_problem(response: httpx.Response, status: int, slug: str, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:ecolabel-registry:problem:{slug}"
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code
    return body
