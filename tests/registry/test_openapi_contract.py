"""The served OpenAPI document is the committed one: clients are written against openapi/openapi.json."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_served_openapi_equals_the_committed_document(client: TestClient) -> None:
    served = client.get("/openapi.json").json()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert served == committed, "the API changed: run `make openapi` and commit openapi/openapi.json"


def test_every_error_response_is_documented_as_a_problem(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert "application/problem+json" in response["content"], f"{method.upper()} {path} {status}"
