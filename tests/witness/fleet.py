"""Witnesses for registry tests: real witness apps, each with its own key and state directory, reached
through an httpx transport that routes by host name (what the worker's client would reach over TCP)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from ecolabel_registry.settings import WitnessEndpoint
from ecolabel_registry.witness.app import create_witness_app
from verification.cosignature import Cosigner
from verification.note import NoteVerifier


@dataclass
class FleetWitness:
    cosigner: Cosigner
    client: TestClient
    up: bool = True

    @property
    def host(self) -> str:
        return self.cosigner.name.split("/", 1)[0]

    @property
    def endpoint(self) -> WitnessEndpoint:
        return WitnessEndpoint(self.cosigner.key, f"http://{self.host}")


class InProcess(httpx.BaseTransport):
    """The product's httpx clients talking to an app through its TestClient (which has its own httpx)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.client.request(
            request.method, request.url.raw_path.decode(), content=request.read(), headers=dict(request.headers)
        )
        # The TestClient has already undone any Content-Encoding: hand the bytes on as they now are.
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in {"content-encoding", "content-length"}}
        headers["content-length"] = str(len(answer.content))
        # A stream, not `content=`: httpx reads `content` at once, and streaming readers would find it consumed.
        return httpx.Response(answer.status_code, headers=headers, stream=httpx.ByteStream(answer.content))


class Routing(httpx.BaseTransport):
    def __init__(self, witnesses: list[FleetWitness]) -> None:
        self.by_host = {w.host: w for w in witnesses}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        witness = self.by_host.get(request.url.host)
        if witness is None or not witness.up:
            raise httpx.ConnectError("connection refused", request=request)
        answer = witness.client.request(request.method, request.url.path, content=request.read())
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


@contextmanager
def fleet(tmp_path: Path, log: NoteVerifier, count: int = 2) -> Iterator[list[FleetWitness]]:
    with ExitStack() as stack:
        witnesses = []
        for number in range(1, count + 1):
            cosigner = Cosigner.generate(f"witness{number}.test/w")
            app = create_witness_app(cosigner, {log.name: [log]}, tmp_path / f"witness-{number}")
            witnesses.append(FleetWitness(cosigner, stack.enter_context(TestClient(app))))
        yield witnesses


def http_client(witnesses: list[FleetWitness]) -> httpx.Client:
    return httpx.Client(transport=Routing(witnesses))
