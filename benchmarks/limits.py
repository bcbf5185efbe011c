"""Machine limits: raw Ed25519 verifications/s and signatures/s and raw inserts/s, measured in the same run.

Other figures ask for these through `Context.limit`, so each is measured once per run.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Sequence
from functools import partial

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import BigInteger, Column, Engine, LargeBinary, MetaData, Table, insert

from benchmarks.databases import scratch_engine
from benchmarks.model import Backend, Context, Figure, Limit, Quantity, Result
from benchmarks.timing import per_second, sustained_rate
from ecolabel_registry.db.engine import write_connection
from verification.ed25519 import generate_private_key, public_key_bytes, sign_ed25519, verify_ed25519

RAW_BATCH = 1_000
RAW_PAYLOAD = 64  # bytes: a 32-byte hash, a bigint and a small blob, about a log row without its document
_KEYS = 16
_MESSAGE_SIZE = 1_024  # a certificate-sized message


def _signed_samples() -> list[tuple[bytes, bytes, bytes]]:
    samples = []
    for number in range(_KEYS):
        key = generate_private_key()
        message = hashlib.sha256(number.to_bytes(4, "big")).digest() * (_MESSAGE_SIZE // 32)
        samples.append((public_key_bytes(key), sign_ed25519(key, message), message))
    return samples


def ed25519_limit(ctx: Context) -> Limit:
    """`verify_ed25519` (parses the 32-byte key on every call, as verifying a document does)."""

    def measure() -> Limit:
        samples = _signed_samples()
        cycle = itertools.cycle(samples)

        def verify() -> None:
            verify_ed25519(*next(cycle))

        rate = sustained_rate(verify, ctx.scale(2.0, 0.5))
        return Limit(Quantity(rate, "verifications/s"), f"verify_ed25519 loop, {_MESSAGE_SIZE} B messages")

    return ctx.limit("ed25519", measure)


def cryptography_limit(ctx: Context) -> Limit:
    """`cryptography` with the public key already parsed: the library's own ceiling."""

    def measure() -> Limit:
        parsed = [(Ed25519PublicKey.from_public_bytes(k), s, m) for k, s, m in _signed_samples()]
        cycle = itertools.cycle(parsed)

        def verify() -> None:
            key, signature, message = next(cycle)
            key.verify(signature, message)

        rate = sustained_rate(verify, ctx.scale(2.0, 0.5))
        return Limit(Quantity(rate, "verifications/s"), "cryptography, key pre-parsed")

    return ctx.limit("ed25519.cryptography", measure)


def sign_seconds(ctx: Context) -> float:
    """Seconds per Ed25519 signature (`sign_ed25519`, key parsed once as the registry's signing key is) of
    a 1 KB message: what signing one decision costs."""

    def measure() -> Limit:
        key = generate_private_key()
        message = hashlib.sha256(b"decision").digest() * (_MESSAGE_SIZE // 32)
        rate = sustained_rate(lambda: sign_ed25519(key, message), ctx.scale(2.0, 0.5))
        return Limit(Quantity(rate, "signatures/s"), f"sign_ed25519 loop, {_MESSAGE_SIZE} B messages")

    return 1 / ctx.limit("ed25519.sign", measure).quantity.value


def _raw_table(metadata: MetaData) -> Table:
    return Table(
        "bench_raw",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=False),
        Column("hash", LargeBinary(32), nullable=False),
        Column("payload", LargeBinary, nullable=False),
    )


def _raw_rows(count: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for number in range(count):
        digest = hashlib.sha256(number.to_bytes(8, "big")).digest()
        rows.append({"id": number, "hash": digest, "payload": digest * (RAW_PAYLOAD // 32)})
    return rows


def _insert_rate(engine: Engine, table: Table, rows: Sequence[dict[str, object]], per_transaction: int) -> float:
    statement = insert(table)
    start = time.perf_counter_ns()
    for offset in range(0, len(rows), per_transaction):
        with write_connection(engine) as connection:
            connection.execute(statement, list(rows[offset : offset + per_transaction]))
    return per_second(len(rows), time.perf_counter_ns() - start)


def insert_limit(ctx: Context, backend: Backend, per_transaction: int) -> Limit:
    """Rows/s into a plain table through SQLAlchemy Core, in transactions of `per_transaction` rows."""

    def measure() -> Limit:
        count = ctx.scale(200_000, 20_000) if per_transaction > 1 else ctx.scale(3_000, 300)
        rows = _raw_rows(count)
        with scratch_engine(ctx, backend, migrated=False) as engine:
            metadata = MetaData()
            table = _raw_table(metadata)
            metadata.create_all(engine)
            rate = _insert_rate(engine, table, rows, per_transaction)
        noun = "row" if per_transaction == 1 else "rows"
        how = f"raw Core executemany, {per_transaction:,} {noun}/txn"
        return Limit(Quantity(rate, "rows/s"), how)

    return ctx.limit(f"insert.{backend}.{per_transaction}", measure)


def _ed25519(ctx: Context) -> list[Result]:
    ours = ed25519_limit(ctx)
    name = "machine.ed25519"
    label = "Ed25519 verify_ed25519"
    sign = Quantity(1 / sign_seconds(ctx), "signatures/s")
    return [
        Result(name, label, ours.quantity, cryptography_limit(ctx), note=ours.how, is_limit=True),
        Result(name, "Ed25519 sign_ed25519", sign, note="1 KB messages, key parsed once", is_limit=True),
    ]


def _inserts(backend: Backend, ctx: Context) -> list[Result]:
    name = f"machine.insert.{backend}"
    results = []
    for per_transaction in (RAW_BATCH, 1):
        ctx.progress(f"raw inserts on {backend}, {per_transaction:,} per transaction")
        limit = insert_limit(ctx, backend, per_transaction)
        label = f"raw insert, {per_transaction:,} row{'s' if per_transaction > 1 else ''}/txn [{backend}]"
        note = f"plain table: bigint primary key, 32 B blob, {RAW_PAYLOAD} B blob; {limit.how}"
        results.append(Result(name, label, limit.quantity, is_limit=True, note=note))
    return results


def figures(backends: Sequence[Backend]) -> list[Figure]:
    found = [Figure("machine.ed25519", "raw Ed25519 verifications/s and signatures/s", _ed25519)]
    found += [
        Figure(f"machine.insert.{backend}", f"raw inserts/s on {backend}", partial(_inserts, backend))
        for backend in backends
    ]
    return found
