"""The authority table in docs/SECURITY.md names every operation of the API, and the API obeys its columns.

Each row names its operations by path (`…/tokens` for a path's tail), after a method where it matters.
A new route that no row names fails here, so nobody adds an operation without saying who may perform it.
A row whose "who may" is anyone must answer a caller without credentials; an operation the contract
guards with a token must refuse one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

SECURITY = Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md"
METHODS = ("get", "post", "put", "patch", "delete")
PARAMETER = re.compile(r"\{[^}]*\}")


def _shape(path: str) -> str:
    return PARAMETER.sub("{}", path)


def _rows() -> list[list[str]]:
    text = SECURITY.read_text(encoding="utf-8")
    section = text[text.index("## Authority: who may do what") : text.index("## Which answers are checkable")]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("| ") and len(cells) == 5 and cells[0] not in {"operation", "---"}:
            rows.append(cells)
    return rows


def _named(row: list[str]) -> list[tuple[str | None, str]]:
    """The operations a row names, in its operation and key columns: (method or None for any, path shape)."""
    named: list[tuple[str | None, str]] = []
    for code in re.findall(r"`([^`]*)`", f"{row[0]} {row[2]}"):
        method = None
        for token in re.split(r"[\s,;]+", code):
            if token.lower() in METHODS:
                method = token.lower()
            elif token.startswith(("/", "…/")) and token not in {"/", "…/"}:
                named.append((method, _shape(re.split(r"[?\[)]", token)[0])))
    return named


def _names(row: list[str], method: str, path: str) -> bool:
    shape = _shape(path)
    return any(
        (named_method in {None, method}) and (shape.endswith(named[1:]) if named.startswith("…") else shape == named)
        for named_method, named in _named(row)
    )


def _operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    document = client.get("/openapi.json").json()
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _guarded(operation: dict[str, Any]) -> bool:
    """The contract demands a credential: a security requirement, none of its alternatives empty."""
    requirements = operation.get("security", [])
    return bool(requirements) and all(requirements)


def _concrete(path: str) -> str:
    return PARAMETER.sub("0000", path)


def test_every_operation_is_named_by_a_row_of_the_authority_table(client: TestClient) -> None:
    rows = _rows()
    assert len(rows) > 30, "the authority table was not found or not parsed"
    unnamed = [
        f"{method.upper()} {path}"
        for method, path, _ in _operations(client)
        if not any(_names(row, method, path) for row in rows)
    ]
    assert unnamed == [], f"operations no row of docs/SECURITY.md names: {unnamed}"


def test_rows_open_to_anyone_answer_without_credentials(client: TestClient) -> None:
    public_rows = [row for row in _rows() if row[1].lower().startswith("anyone") and row[2] == "—"]
    assert public_rows, "the table has no row open to anyone"
    asked = 0
    for method, path, operation in _operations(client):
        if not any(_names(row, method, path) for row in public_rows):
            continue
        assert not _guarded(operation), f"{method.upper()} {path} is public in the table, guarded in the contract"
        kwargs: dict[str, Any] = {"json": {}} if method == "post" else {}
        response = client.request(method.upper(), _concrete(path), **kwargs)
        assert response.status_code not in {401, 403}, f"{method.upper()} {path} asked for credentials"
        asked += 1
    assert asked >= 30


@pytest.mark.parametrize("credential", [None, "Bearer elr_0000_not-a-token", "Bearer not-the-admin-token"])
def test_operations_the_contract_guards_refuse_a_caller_without_a_valid_credential(
    client: TestClient, credential: str | None
) -> None:
    headers = {"Authorization": credential} if credential else {}
    guarded = [(method, path) for method, path, operation in _operations(client) if _guarded(operation)]
    assert len(guarded) > 25
    for method, path in guarded:
        kwargs: dict[str, Any] = {"json": {}} if method == "post" else {}
        response = client.request(method.upper(), _concrete(path), headers=headers, **kwargs)
        assert response.status_code == 401, f"{method.upper()} {path} answered {response.status_code}"
        assert response.headers["content-type"] == "application/problem+json"


def test_every_test_the_security_document_cites_exists() -> None:
    """A row is proved by the tests it names: each cited file exists and defines each cited test."""
    root = SECURITY.parents[1]
    missing = []
    for cell in re.findall(r"`([^`]*)`", SECURITY.read_text(encoding="utf-8")):
        if cell.startswith("tests/"):
            current = cell.split("::")[0]
        elif not cell.startswith("::"):
            continue
        path = root / current
        if not path.exists():
            missing.append(current)
            continue
        for name in re.findall(r"::(\w+)", cell):
            if f"def {name}(" not in path.read_text(encoding="utf-8"):
                missing.append(f"{current}::{name}")
    assert missing == [], f"docs/SECURITY.md cites tests that do not exist: {missing}"
