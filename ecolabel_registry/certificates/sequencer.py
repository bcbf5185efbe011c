"""Group commit: single certificate submissions and status events of one process logged together.

A request hands its credential, as sent, to the process's sequencer and waits on a future, holding no
thread. Two threads work in turn on consecutive groups. The checker takes everything waiting (at most
`group_commit_max_items`, waiting up to `group_commit_max_wait_ms` for more when fewer are there) and
checks the group's credentials as a batch does its own: one `submission.prepare` outside the log lock
(each signature checked, the signing keys read once for the group) on a connection of its own. The
writer then logs what passed through the same functions a batch and a single event use
(`submission.commit`, `events.submit_many`): one `observed.observe` read, then one write transaction
with one log lock, one append, one signed checkpoint, one commit. While the writer logs one group the
checker checks the next (an Ed25519 verification releases the GIL, so the two overlap on two cores);
it takes the next only once the writer has taken the one it checked, so at most two groups are in
hand, and groups reach the writer in the order they were taken. `observe` runs in the writer, after
the group before has committed, so the head it reads is the one the lock will find unless another
process appended meanwhile. The writer keeps its connection from one group to the next while groups
keep coming (`KEEP_CONNECTION_IDLE_S`), and lets it go after a failed group.

Under the lock, from the one "already held?" read there, each credential new to the registry is charged
to its programme's rate limit (`Charges`): one logged meanwhile by another process is not charged, and
a member retried alone after its group's transaction failed is not charged twice. A credential refused
by its checks (its signature, its profile) is answered at once, by the checker; the others are answered
only after that transaction has committed, so no request is answered with a receipt for a leaf that is
not durable. A refused item (over its programme's rate, a duplicate, a taken licence, a broken event
chain) gets its own answer and never affects the others. Should the group's checks fail as a whole,
each member is checked again on its own; should its transaction fail, each member is committed again
on its own; so each gets its true answer.

Several API processes each run a sequencer; their groups serialise on the log lock exactly as batches
do (`log.service.reserve`), so the log stays one sequence. With `group_commit_max_items = 0` there is
no sequencer and each request commits on its own.

    sequencer = Sequencer(max_items=256, max_wait_s=0.0)
    sequencer.start(context)
    item = sequencer.certificate(token, charge).result()   # resolved after the commit
    sequencer.close()                                        # commits what is queued, then stops
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection

from ecolabel_registry.certificates import events, observed, submission
from ecolabel_registry.certificates.group_members import (
    Certificate,
    Charge,
    Charges,
    Checked,
    Event,
    Request,
    deliver,
)
from ecolabel_registry.db.engine import write_transaction
from ecolabel_registry.errors import DatabaseUnavailable, RegistryError

if TYPE_CHECKING:
    from ecolabel_registry.context import RegistryContext

_log = logging.getLogger(__name__)


_STOP = object()
# The writer keeps its connection while groups keep coming, and returns it once none came for this long.
# A SQLite connection keeps its page cache only while no other connection writes: one checked out afresh
# for each group (the pool hands them out in turn) read ~120 pages a group of 12 again (BENCHMARKS.md).
KEEP_CONNECTION_IDLE_S = 1.0
R = TypeVar("R", Certificate, Event)


class Sequencer:
    """The one writer of this process's single submissions; see the module docstring."""

    def __init__(self, *, max_items: int, max_wait_s: float) -> None:
        if max_items < 1:
            raise ValueError("a group holds at least one item")
        self.max_items = max_items
        self.max_wait_s = max_wait_s
        self._queue: queue.SimpleQueue[Request | object] = queue.SimpleQueue()
        self._checked: queue.SimpleQueue[Checked | object] = queue.SimpleQueue()
        # Held by the checker from taking a group until the writer takes it: one group checked ahead.
        self._ahead = threading.Semaphore(1)
        self._threads: list[threading.Thread] = []
        self._context: RegistryContext | None = None
        self._connection: Connection | None = None  # the writer thread's, kept between groups
        self._closed = False
        self._lock = threading.Lock()
        self.groups = 0  # transactions committed, for tests and metrics
        self.items = 0

    def start(self, context: RegistryContext) -> None:
        self._context = context
        self._threads = [
            threading.Thread(target=self._check_groups, name="group-checks", daemon=True),
            threading.Thread(target=self._write_groups, name="group-commit", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        """Commit and answer everything queued so far, then stop both threads."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        for thread in self._threads:  # the checker first: it passes the stop on once all is checked
            thread.join()

    def certificate(self, token: str, charge: Charge | None = None) -> Future[submission.Item]:
        """Queue a credential (compact JWS); the future holds it decided and, if accepted, logged, once
        its group has committed, or refused by its checks (`item.error`) or by `charge`, which is given
        the programme of a verified credential the registry does not hold yet."""
        request = Certificate(token, charge)
        self._put(request)
        return request.future

    def event(self, certificate_id: str, token: str) -> Future[events.Submitted]:
        """Queue a status event; the future holds its result after the commit, or the error refusing it."""
        request = Event(certificate_id, token)
        self._put(request)
        return request.future

    def _put(self, request: Request) -> None:
        with self._lock:
            if self._closed:  # queued before `start`, a request is in the first group
                raise DatabaseUnavailable("the registry is shutting down; retry shortly", code="SHUTTING_DOWN")
            self._queue.put(request)

    def _check_groups(self) -> None:
        """The checker: take each group, answer what its checks refuse, pass the rest to the writer."""
        stopping = False
        while not stopping:
            self._ahead.acquire()  # released when the writer takes the group checked before
            group, stopping = self._next_group()
            # A request whose caller went away before its group started is not committed; once started,
            # a future can no longer be cancelled, so every answer below can be delivered.
            group = [request for request in group if request.future.set_running_or_notify_cancel()]
            certificates = [request for request in group if isinstance(request, Certificate)]
            checked = Checked([], [request for request in group if isinstance(request, Event)])
            try:
                checked.certificates = self._check(certificates)
            except Exception as exc:  # noqa: BLE001  # a fault must not stop the checker: its requests get it
                _log.exception("the group-commit checker failed on a group of %d", len(certificates))
                deliver(certificates, exc)
            self._checked.put(checked)
        self._checked.put(_STOP)

    def _write_groups(self) -> None:
        """The writer: log each checked group, in the order the checker took them."""
        try:
            while True:
                checked = self._next_checked()
                self._ahead.release()
                if not isinstance(checked, Checked):
                    return
                try:
                    self._commit(checked)
                except Exception as exc:  # noqa: BLE001  # a fault must not stop the writer: its requests get it
                    _log.exception("the group-commit writer failed on a group")
                    deliver([*checked.certificates, *checked.events], exc)
        finally:
            self._let_go()

    def _next_checked(self) -> Checked | object:
        """The next checked group; the writer's connection goes back to the pool once none came for a while."""
        if self._connection is None:
            return self._checked.get()
        try:
            return self._checked.get(timeout=KEEP_CONNECTION_IDLE_S)
        except queue.Empty:
            self._let_go()
            return self._checked.get()

    def _writer_connection(self) -> Connection:
        """The writer's connection, kept from one group to the next (see `KEEP_CONNECTION_IDLE_S`)."""
        if self._connection is None:
            self._connection = self._require_context().engine.connect()
        return self._connection

    def _let_go(self) -> None:
        """Return the writer's connection to the pool (after a failure, or when idle, or closing)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001  # a broken connection is discarded by the pool: the next is fresh
                _log.warning("returning the group-commit writer's connection failed", exc_info=True)

    def _next_group(self) -> tuple[list[Request], bool]:
        """What is waiting now, up to `max_items`; (group, whether the sequencer is closing)."""
        first = self._queue.get()
        if first is _STOP:
            return [], True
        group: list[Request] = [first]  # type: ignore[list-item]  # anything but _STOP is a request
        deadline = time.monotonic() + self.max_wait_s
        while len(group) < self.max_items:
            try:
                remaining = deadline - time.monotonic()
                taken = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if taken is _STOP:
                return group, True
            group.append(taken)  # type: ignore[arg-type]  # anything but _STOP is a request
        return group, False

    def _commit(self, checked: Checked) -> None:
        # Two transactions when both kinds wait: a status map root closes each append, and a replay
        # finds a batch of certificates or a run of events as one step (integrity.replay._steps).
        if checked.certificates:
            self._certificates(checked.certificates)
        if checked.events:
            self._events(checked.events)

    def _check(self, requests: list[Certificate]) -> list[Certificate]:
        """Check the group's credentials as one batch, outside the log lock, on a connection of the
        checker's; answer every refusal now and return the requests left to commit (charged to their
        programmes' rates under the lock). Checks that fail as a whole are made again for each alone."""
        if not requests:
            return []
        context = self._require_context()
        try:
            with context.engine.connect() as connection:
                prepared = submission.prepare(connection, [r.token for r in requests], names=context.did_names)
        except Exception as exc:  # noqa: BLE001  # delivered to the request, or each member checked alone
            if len(requests) == 1:
                requests[0].future.set_exception(exc)
                return []
            if not isinstance(exc, RegistryError):
                _log.warning("checks of a group of %d failed (%r); checking its members alone", len(requests), exc)
            return [ready for request in requests for ready in self._check([request])]
        ready: list[Certificate] = []
        for request, item in zip(requests, prepared.items, strict=True):
            if item.document is None:
                request.future.set_result(item)  # refused by its own checks: nothing of it is written
                continue
            request.item = item
            ready.append(request)
        return ready

    def _certificates(self, requests: list[Certificate]) -> None:
        """Log a checked group on one connection: the state its decisions read (`observed`, outside the
        lock, after the group before has committed), then its write transaction (`write_transaction`)."""
        failed: Exception | None
        try:
            connection = self._writer_connection()
            documents = [r.item.document for r in requests if r.item is not None and r.item.document is not None]
            seen = observed.observe(connection, documents)  # outside the lock; `commit` checks it there
            failed = self._write(connection, requests, seen)
        except Exception as exc:  # noqa: BLE001  # those not answered yet are each committed alone
            failed = exc
        if failed is not None:
            self._let_go()  # whatever state the failure left it in goes with it; the next group has a fresh one
            self._fall_back(
                [request for request in requests if not request.future.done()], failed, self._write_certificates
            )

    def _write_certificates(self, requests: list[Certificate]) -> None:
        context = self._require_context()
        with context.engine.connect() as connection:
            failed = self._write(connection, requests)
        if failed is not None:
            self._fall_back(requests, failed, self._write_certificates)

    def _write(
        self, connection: Connection, requests: list[Certificate], seen: observed.Observed | None = None
    ) -> Exception | None:
        """Log the group in one write transaction on `connection` and answer its members once it has
        committed; the exception that failed it, with nothing answered, for a fall back. `seen`: the
        state its checks read before the lock, used under it only if still valid (`observed`)."""
        context = self._require_context()
        items = [request.item for request in requests if request.item is not None]
        prepared = submission.Prepared(items=items, observed=seen)
        for index, item in enumerate(prepared.items):  # `commit` tells items apart by index
            item.index = index
            item.outcome, item.error, item.receipt, item.slots = None, None, None, []
            item.stored, item.signing_key = None, None  # a failed group's rows were rolled back
        charges = Charges(requests)
        try:
            with write_transaction(connection) as transaction:
                submission.commit(
                    transaction, context.note_signer, prepared, base_url=context.did_names.base_url, charge=charges
                )
        except Exception as exc:  # noqa: BLE001  # delivered to the request, or each member retried alone
            return exc
        self._committed(len(requests))
        for request, item in zip(requests, prepared.items, strict=True):
            refusal = charges.refused.get(item.index)
            if refusal is not None:
                request.future.set_exception(refusal)
            else:
                request.future.set_result(item)
        return None

    def _events(self, requests: list[Event]) -> None:
        context = self._require_context()
        try:
            with write_transaction(self._writer_connection()) as connection:
                outcomes = events.submit_many(
                    connection, context, [(request.certificate_id, request.token) for request in requests]
                )
        except Exception as exc:  # noqa: BLE001  # delivered to the request, or each member retried alone
            self._let_go()
            self._fall_back(requests, exc, self._events)
            return
        self._committed(len(requests))
        for request, outcome in zip(requests, outcomes, strict=True):
            if isinstance(outcome, RegistryError):
                request.future.set_exception(outcome)
            else:
                request.future.set_result(outcome)

    def _fall_back(self, requests: list[R], exc: Exception, commit: Callable[[list[R]], None]) -> None:
        if not requests:  # all answered: the group committed and only returning its connection failed
            return
        if len(requests) == 1:
            requests[0].future.set_exception(exc)
            return
        if not isinstance(exc, RegistryError):
            _log.warning("group of %d failed (%r); committing its members one by one", len(requests), exc)
        for request in requests:
            commit([request])

    def _committed(self, items: int) -> None:
        self.groups += 1
        self.items += items

    def _require_context(self) -> RegistryContext:
        if self._context is None:
            raise RuntimeError("the sequencer was not started")
        return self._context


def of(context: RegistryContext) -> Sequencer | None:
    """The context's group-commit writer, if group commit is on (the context holds it by its shape only)."""
    writer = context.sequencer
    return writer if isinstance(writer, Sequencer) else None
