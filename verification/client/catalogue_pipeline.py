"""How a catalogue run keeps the registry busy: the scan on a thread of its own, and the chunks in flight.

A run needs the catalogue's SHA-256 and line count (its question, its resume check, the progress total)
and every line checked before it writes anything; that scan, ~2.5 µs a line, used to run before the
first request, with the registry idle (2.5 s of a million-line run; BENCHMARKS.md). `Scan` runs it on a
thread while the first chunks are sent: the registry judges them meanwhile, and their answers wait,
unread, until the scan is done (`catalogue_run.run` writes nothing before). A catalogue the scan refuses
is refused as before, whatever the registry answered to the chunks sent ahead of it.

`answers` sends the chunks, keeping `in_flight` requests unanswered so that the registry always has the
next chunk while this process checks and writes the one before; while the scan runs, up to `AHEAD`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from verification.client import RegistryClient
from verification.decision import SavedEligibility, verify_saved_eligibility_bytes
from verification.errors import MalformedInput
from verification.jwk import PublicKey

if TYPE_CHECKING:
    from verification.client.catalogue_run import Catalogue

# Requests sent ahead while the scan runs (a million lines: ~2.5 s, some nine chunks of one worker's
# time). Each holds its chunk's lines, its body until sent and its answer's bytes once answered, ~6 MB
# at 5,000 lines: ~50 MB at most, on top of the ~100 MB the run holds.
AHEAD = 8


class CatalogueRefused(Exception):
    """The scan refused the catalogue; `__cause__` says why (`MalformedInput`, `UnicodeDecodeError`)."""


class Scan:
    """`Catalogue.scan` of `path` on a thread of its own, started at once. A file that cannot be opened is
    refused here, at once, as the scan itself would refuse it."""

    def __init__(self, path: Path, scan: Callable[[Path], Catalogue]) -> None:
        with path.open("rb"):  # FileNotFoundError, IsADirectoryError, PermissionError: now, not later
            pass
        self.path = path
        self._result: Future[Catalogue] = Future()
        threading.Thread(target=self._run, args=(scan,), name="catalogue-scan", daemon=True).start()

    def _run(self, scan: Callable[[Path], Catalogue]) -> None:
        try:
            self._result.set_result(scan(self.path))
        except (MalformedInput, UnicodeDecodeError) as exc:
            refused = CatalogueRefused(str(exc))
            refused.__cause__ = exc
            self._result.set_exception(refused)
        except BaseException as exc:  # noqa: BLE001  (anything else reaches the caller as it is, in `result`)
            self._result.set_exception(exc)

    def done(self) -> bool:
        return self._result.done()

    def result(self) -> Catalogue:
        """The scanned catalogue, once the scan is done; `CatalogueRefused` if it refused the file."""
        return self._result.result()


def answers(
    client: RegistryClient,
    key: PublicKey,
    body: dict[str, Any],
    parts: Iterator[tuple[int, list[dict[str, Any]]]],
    *,
    in_flight: int,
    scanning: Callable[[], bool],
) -> Generator[tuple[int, list[dict[str, Any]], SavedEligibility], None, None]:
    """Each chunk with its verified answer, in order. A chunk is sent as soon as fewer than `in_flight`
    requests are unanswered (`AHEAD` while `scanning()`), and at most `AHEAD` chunks are held; `body`:
    the request's members other than its items."""
    pending: deque[tuple[int, list[dict[str, Any]], Future[bytes]]] = deque()
    pool = ThreadPoolExecutor(max_workers=max(in_flight, AHEAD), thread_name_prefix="eligibility")
    try:
        for number, part in parts:
            encoded = orjson.dumps({**body, "items": part})
            pending.append((number, part, pool.submit(client.eligibility_bytes, encoded)))
            while len(pending) >= AHEAD or _unanswered(pending) >= (AHEAD if scanning() else in_flight):
                yield _verified(pending.popleft(), key)
        while pending:
            yield _verified(pending.popleft(), key)
    finally:
        # A run that stops (refused, interrupted) sends nothing more, and waits for the requests already
        # on their way: their connections go back to the client before the caller closes it, none left open.
        pool.shutdown(wait=True, cancel_futures=True)


def _unanswered(pending: deque[tuple[int, list[dict[str, Any]], Future[bytes]]]) -> int:
    return sum(1 for _, _, future in pending if not future.done())


def _verified(
    item: tuple[int, list[dict[str, Any]], Future[bytes]], key: PublicKey
) -> tuple[int, list[dict[str, Any]], SavedEligibility]:
    number, part, future = item
    return number, part, verify_saved_eligibility_bytes(future.result(), key)
