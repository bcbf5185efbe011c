"""Log append throughput: leaves/s through `log.service.append`, in batches and one by one."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from functools import partial

from sqlalchemy import Engine, func, select

from benchmarks.databases import scratch_engine
from benchmarks.limits import RAW_BATCH, insert_limit
from benchmarks.model import Backend, Context, Figure, Quantity, Result
from benchmarks.timing import per_second
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.log import repository, service
from verification.ed25519 import generate_private_key
from verification.leaf import DocumentKind
from verification.note import NoteSigner

DOCUMENT_SIZE = 1_024


def certificate_document(number: int) -> bytes:
    """About 1 KB of certificate-like JSON, different for every number."""
    digest = hashlib.sha256(number.to_bytes(8, "big")).hexdigest()
    body = {"certificate": f"BENCH-{number:09d}", "programme": "bench", "holder": digest, "scope": ""}
    padding = DOCUMENT_SIZE - len(json.dumps(body).encode())
    body["scope"] = (digest * (DOCUMENT_SIZE // 64 + 1))[: max(padding, 0)]
    return json.dumps(body).encode()


def _documents(count: int) -> list[service.Document]:
    return [service.Document(DocumentKind.CERTIFICATE, certificate_document(n)) for n in range(count)]


def _append_all(engine: Engine, signer: NoteSigner, documents: Sequence[service.Document], per_txn: int) -> int:
    """Nanoseconds to append every document, `per_txn` per write transaction."""
    start = time.perf_counter_ns()
    for offset in range(0, len(documents), per_txn):
        with write_connection(engine) as connection:
            service.append(connection, signer, documents[offset : offset + per_txn])
    return time.perf_counter_ns() - start


def _stored_rows(engine: Engine, expected_leaves: int) -> int:
    """Entry and node rows actually written (and a check that the log has the leaves we appended)."""
    with engine.connect() as connection:
        entries = connection.execute(select(func.count()).select_from(repository.entries_table)).scalar_one()
        nodes = connection.execute(select(func.count()).select_from(repository.nodes_table)).scalar_one()
        size = repository.read_head(connection).tree_size
    if entries != expected_leaves or size != expected_leaves:
        raise AssertionError(f"appended {expected_leaves} leaves but the log holds {entries} (size {size})")
    return int(entries) + int(nodes)


def _run(backend: Backend, ctx: Context) -> list[Result]:
    name = f"log.append.{backend}"
    signer = NoteSigner("bench.example/log", generate_private_key())
    results: list[Result] = []
    for per_txn, count in ((RAW_BATCH, ctx.scale(50_000, 3_000)), (1, ctx.scale(2_000, 200))):
        limit = insert_limit(ctx, backend, per_txn)
        documents = _documents(count)
        ctx.progress(f"appending {count:,} documents on {backend}, {per_txn:,} per transaction")
        with scratch_engine(ctx, backend, migrated=True) as engine:
            elapsed = _append_all(engine, signer, documents, per_txn)
            rows = _stored_rows(engine, count) + count // per_txn  # + one head update per transaction
        leaves_per_s = per_second(count, elapsed)
        what = f"{per_txn:,} docs/txn" if per_txn > 1 else "1 doc/txn"
        rows_per_leaf = rows / count
        note = f"{count:,} x {DOCUMENT_SIZE} B certificates; {rows_per_leaf:.2f} rows written per leaf"
        results.append(
            Result(name, f"log append, {what} [{backend}]", Quantity(leaves_per_s, "leaves/s"), limit, note=note)
        )
        rows_per_s = per_second(rows, elapsed)
        label = f"  same, counted as rows written [{backend}]"
        results.append(Result(name, label, Quantity(rows_per_s, "rows/s"), limit, note="entries + nodes + head"))
    return results


def figures(backends: Sequence[Backend]) -> list[Figure]:
    return [
        Figure(f"log.append.{backend}", f"log append leaves/s on {backend}", partial(_run, backend))
        for backend in backends
    ]
