"""Several server processes appending to one database produce one gap-free, duplicate-free log.

Every receipt a client was given must verify, every acknowledged write must be in the log exactly
once, and all checkpoints any client saw must be consistent with each other.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from ecolabel_registry.db.models import LogEntry
from ecolabel_registry.settings import Settings
from tests.registry.factories import programme_registration
from tests.registry.live import LiveServer, live_servers
from verification.checkpoint import Checkpoint, verify_checkpoint
from verification.merkle import verify_consistency
from verification.note import NoteVerifier
from verification.receipt import Receipt, verify_receipt

pytestmark = pytest.mark.slow

SERVERS = 2
CLIENTS = 8
WRITES_PER_CLIENT = 20


@pytest.fixture
def servers(settings: Settings, tmp_path: Path) -> Iterator[list[LiveServer]]:
    with live_servers(settings, SERVERS, tmp_path) as started:
        yield started


def _client_writes(server: LiveServer, admin_headers: dict[str, str]) -> list[tuple[bytes, Receipt]]:
    written = []
    with httpx.Client(base_url=server.url, headers=admin_headers, timeout=60) as http:
        for _ in range(WRITES_PER_CLIENT):
            body = programme_registration().body
            response = http.post("/v1/programmes", content=body, headers={"content-type": "application/json"})
            assert response.status_code == 201, response.text
            written.append((body, Receipt.from_dict(response.json()["receipt"])))
    return written


def test_concurrent_writers_in_separate_processes_share_one_consistent_log(
    servers: list[LiveServer], admin_headers: dict[str, str], engine: Engine
) -> None:
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(_client_writes, servers[n % SERVERS], admin_headers) for n in range(CLIENTS)]
        written = [item for future in futures for item in future.result()]

    total = CLIENTS * WRITES_PER_CLIENT
    indexes = sorted(receipt.leaf_index for _, receipt in written)
    assert indexes == list(range(total)), "leaf indexes must have no gap and no duplicate"
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(LogEntry)).scalar_one() == total

    verifier = NoteVerifier.from_string(
        httpx.get(f"{servers[0].url}/.well-known/ecolabel-registry").json()["checkpoint_verifier_key"]
    )
    checkpoints: dict[int, Checkpoint] = {}
    for body, receipt in written:
        checkpoint = verify_receipt(receipt, body, verifier)
        seen = checkpoints.setdefault(checkpoint.tree_size, checkpoint)
        assert seen.root_hash == checkpoint.root_hash, "two different trees were signed for one size"

    final = verify_checkpoint(httpx.get(f"{servers[1].url}/v1/log/checkpoint").json()["checkpoint"], verifier)
    assert final.tree_size == total
    checkpoints[final.tree_size] = final
    sizes = sorted(checkpoints)
    # Consecutive consistency is transitive, so this makes every pair of observed checkpoints consistent.
    for first, second in itertools.pairwise(sizes):
        body = httpx.get(
            f"{servers[first % SERVERS].url}/v1/log/proofs/consistency", params={"first": first, "second": second}
        ).json()
        verify_consistency(
            first,
            second,
            [base64.b64decode(p) for p in body["proof"]],
            checkpoints[first].root_hash,
            checkpoints[second].root_hash,
        )
