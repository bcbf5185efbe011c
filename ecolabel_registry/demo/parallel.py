"""Signing and checking credentials in worker processes, while the loader commits the previous batch.

`submission.prepare` (signature and profile checks) is CPU work that holds no lock, which is why the
registry runs it outside the log lock: several API processes can do it at once. The demo loader does
the same with a process pool, so a first load takes seconds rather than the sum of every batch's
checks; `submission.commit`, which takes the log lock, stays in the loader's own process, in order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ecolabel_registry.certificates import submission
from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.demo.keys import programme_keys
from ecolabel_registry.demo.outcome import DemoLoadError
from ecolabel_registry.demo.signing import sign
from verification.documents import SignedDocument
from verification.keys import KeyRecord
from verification.payloads import TYP, EcoLabelCertificate

Batch = Sequence[tuple[str, dict[str, Any]]]  # (programme, credential payload)
# A prepared item as it crosses the process boundary: the JWS header is a read-only mapping that does
# not pickle, so it travels as a dict and is wrapped again on arrival.
Shipped = tuple[int, str, dict[str, Any], EcoLabelCertificate, KeyRecord, str, dict[str, Any]]
# Per worker process, filled by `_start` (never at import time): its own engine and the demo keys.
_WORKER: dict[str, Any] = {}


def _start(database_url: str, key_directory: str, programmes: list[str]) -> None:
    _WORKER["engine"] = build_engine(database_url, pool_size=1)
    _WORKER["keys"] = programme_keys(Path(key_directory), programmes)


def sign_and_prepare(batch: Batch) -> list[Shipped]:
    """Sign a batch and check it as `POST /v1/certificates/batch` does before taking the log lock."""
    keys = _WORKER["keys"]
    tokens = [sign(payload, TYP["certificate"], keys[programme]) for programme, payload in batch]
    with _WORKER["engine"].connect() as connection:
        prepared = submission.prepare(connection, tokens)
    for (programme, payload), item in zip(batch, prepared.items, strict=True):
        if item.error is not None:
            # Raised here, as text: registry errors do not all survive pickling back to the loader.
            number = payload["credentialSubject"]["licenceNumber"]
            raise DemoLoadError(f"the registry refused demo licence {programme} {number}: {item.error.detail}")
    return [
        (item.index, item.token, dict(d.header), d.payload, d.key, d.sha256, dict(d.claims))
        for item in prepared.items
        if (d := item.document) is not None
    ]


def unpack(shipped: list[Shipped]) -> submission.Prepared:
    return submission.Prepared(
        [
            submission.Item(
                index,
                token,
                SignedDocument(token, MappingProxyType(header), payload, key, sha256, MappingProxyType(claims)),
            )
            for index, token, header, payload, key, sha256, claims in shipped
        ]
    )


class Preparer:
    """Runs `sign_and_prepare` in worker processes, or in this one when there is no work to share."""

    def __init__(self, pool: ProcessPoolExecutor | None) -> None:
        self._pool = pool

    def submit(self, batch: Batch) -> Future[list[Shipped]]:
        if self._pool is not None:
            return self._pool.submit(sign_and_prepare, batch)
        done: Future[list[Shipped]] = Future()
        done.set_result(sign_and_prepare(batch))
        return done


@contextmanager
def preparer(database_url: str, key_directory: Path, programmes: list[str], workers: int) -> Iterator[Preparer]:
    if workers <= 1:
        _start(database_url, str(key_directory), programmes)
        try:
            yield Preparer(None)
        finally:
            _WORKER.pop("engine").dispose()
        return
    arguments = (database_url, str(key_directory), programmes)
    with ProcessPoolExecutor(max_workers=workers, initializer=_start, initargs=arguments) as pool:
        yield Preparer(pool)
