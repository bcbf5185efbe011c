"""Setting a benchmark server up through its own API (httpx), before wrk measures it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import httpx

from benchmarks.credentials import Issuer
from benchmarks.servers import Server

BATCH = 1_000  # the registry's default `max_batch_items`


def _client(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=300)


def certificate_id(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def register(server: Server, issuer: Issuer) -> None:
    """The programme (admin token) and its category, as a certification body would."""
    with _client(server) as client:
        admin = {"Authorization": f"Bearer {server.admin_token}"}
        response = client.post("/v1/programmes", json=issuer.registration(), headers=admin)
        _expect(response, 201, server)
        response = client.post(f"/v1/programmes/{issuer.programme_id}/categories", json={"category": issuer.category()})
        _expect(response, 201, server)


def submit_batches(server: Server, tokens: Sequence[str], per_request: int = BATCH) -> None:
    """Register credentials through POST /v1/certificates/batch; every one must be accepted."""
    with _client(server) as client:
        for offset in range(0, len(tokens), per_request):
            batch = list(tokens[offset : offset + per_request])
            response = client.post("/v1/certificates/batch", json={"credentials": batch})
            _expect(response, 200, server)
            answer: dict[str, Any] = response.json()
            if answer["accepted"] != len(batch):
                problems = [r["problem"] for r in answer["results"] if r["outcome"] != "accepted"][:3]
                raise RuntimeError(f"batch not wholly accepted ({answer['accepted']} accepted): {problems}")


def submit_one(server: Server, tokens: Sequence[str]) -> None:
    """Register credentials one request each through POST /v1/certificates."""
    with _client(server) as client:
        for token in tokens:
            _expect(client.post("/v1/certificates", json={"credential": token}), 201, server)


def post(server: Server, path: str, body: bytes) -> dict[str, Any]:
    with _client(server) as client:
        response = client.post(path, content=body, headers={"Content-Type": "application/json"})
        _expect(response, 200, server)
        answer: dict[str, Any] = response.json()
        return answer


def get(server: Server, path: str) -> dict[str, Any]:
    with _client(server) as client:
        response = client.get(path)
        _expect(response, 200, server)
        answer: dict[str, Any] = response.json()
        return answer


def _expect(response: httpx.Response, status: int, server: Server) -> None:
    if response.status_code != status:
        log = server.log.read_text(errors="replace")[-3000:] if response.status_code >= 500 else ""
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text[:500]}"
            + (f"\nserver log:\n{log}" if log else "")
        )
