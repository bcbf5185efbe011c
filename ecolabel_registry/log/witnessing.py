"""The registry's side of C2SP tlog-witness: submit each new checkpoint to the configured witnesses.

The worker calls `witness_round` on every poll. For each witness it sends the newest checkpoint with a
consistency proof from the size that witness last cosigned (`old <size>`), verifies the cosignature it
gets back and stores it (`log.cosignatures`), so the API can serve the checkpoint with it. A witness
that answers 409 tells the size it holds (it may have been fed by someone else, or lost our last
answer): the round retries once from there. A witness that is down or refuses is logged and tried
again at the next new checkpoint; it never blocks the others, nor any write.

A witness holding a larger tree than the registry's, or refusing a checkpoint as inconsistent (422),
means the registry's log and what it showed that witness have diverged: that is logged as an error,
with what the witness said, for the operator to investigate.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import httpx
from sqlalchemy import Engine

from ecolabel_registry.db.engine import autocommit_connection, write_connection
from ecolabel_registry.errors import RegistryError
from ecolabel_registry.log import cosignatures, repository, service
from ecolabel_registry.settings import WitnessEndpoint
from verification.errors import VerificationError
from verification.note import split_note

_log = logging.getLogger("ecolabel_registry.witnessing")
_MAX_ANSWER_BYTES = 64 * 1024


class Outcome(StrEnum):
    COSIGNED = "cosigned"
    ALREADY = "already cosigned"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Head:
    tree_size: int
    note: str


@dataclass
class Witnessing:
    """Witness rounds with a back-off per witness: one that is down is retried after 1, 2, 4… 60 seconds."""

    engine: Engine
    witnesses: tuple[WitnessEndpoint, ...]
    client: httpx.Client
    clock: Callable[[], float] = time.monotonic
    _retry_at: dict[str, float] = field(default_factory=dict)
    _failures: dict[str, int] = field(default_factory=dict)

    def round(self) -> dict[str, Outcome]:
        """Bring every due witness up to the registry's newest checkpoint; what happened, by witness name."""
        if not self.witnesses:
            return {}
        head = _read_head(self.engine)
        if head is None:
            return {}
        outcomes: dict[str, Outcome] = {}
        now = self.clock()
        for witness in self.witnesses:
            name = witness.key.name
            if self._retry_at.get(name, 0.0) > now:
                continue
            outcomes[name] = outcome = _bring_up_to_date(self.engine, witness, head, self.client)
            if outcome in (Outcome.COSIGNED, Outcome.ALREADY):
                self._failures.pop(name, None)
                self._retry_at.pop(name, None)
            else:
                self._failures[name] = failures = self._failures.get(name, 0) + 1
                self._retry_at[name] = now + min(60.0, 2.0 ** (failures - 1))
        return outcomes


def _read_head(engine: Engine) -> Head | None:
    with autocommit_connection(engine) as connection:
        state = repository.read_head(connection)
    if state.tree_size == 0 or state.checkpoint is None:
        return None  # nothing to witness yet (the empty tree's checkpoint is signed only when asked for)
    return Head(state.tree_size, state.checkpoint)


def _bring_up_to_date(engine: Engine, witness: WitnessEndpoint, head: Head, client: httpx.Client) -> Outcome:
    with autocommit_connection(engine) as connection:
        old = cosignatures.last_cosigned_size(connection, witness.key)
    if old == head.tree_size:
        return Outcome.ALREADY
    for _attempt in range(3):
        try:
            answer = client.post(f"{witness.url}/add-checkpoint", content=_submission(engine, old, head))
        except httpx.HTTPError as exc:
            _log.warning("witness %s is unreachable: %s", witness.key.name, exc)
            return Outcome.UNREACHABLE
        if answer.status_code == 200:
            return _store(engine, witness, head, answer.content)
        if answer.status_code == 409:
            held = _held_size(answer)
            if held is not None and held > head.tree_size:
                # Someone else may have fed the witness a checkpoint newer than the head read a moment ago.
                head = _read_head(engine) or head
            if held is None or held > head.tree_size:
                _log.error(
                    "witness %s holds a tree of size %s, beyond the registry's %d: the log has diverged from what "
                    "this witness was shown; investigate before anything else",
                    witness.key.name,
                    held,
                    head.tree_size,
                )
                return Outcome.REFUSED
            old = held
            continue
        level = logging.ERROR if answer.status_code == 422 else logging.WARNING
        _log.log(
            level,
            "witness %s refused size %d: %d %s",
            witness.key.name,
            head.tree_size,
            answer.status_code,
            answer.text[:200],
        )
        return Outcome.REFUSED
    return Outcome.REFUSED


def _submission(engine: Engine, old: int, head: Head) -> bytes:
    """`old <size>`, the consistency proof from it, a blank line, the checkpoint (tlog-witness "add-checkpoint")."""
    proof: list[bytes] = []
    if 0 < old < head.tree_size:
        with autocommit_connection(engine) as connection:
            _, proof = service.prove_consistency(connection, old, head.tree_size)
    lines = [f"old {old}", *(base64.b64encode(node).decode() for node in proof)]
    return ("\n".join(lines) + "\n\n" + head.note).encode()


def _held_size(answer: httpx.Response) -> int | None:
    text = answer.text
    if not text.endswith("\n") or not text[:-1].isdigit() or len(text) > 21:
        return None
    return int(text[:-1])


def _store(engine: Engine, witness: WitnessEndpoint, head: Head, body: bytes) -> Outcome:
    """Keep the witness's cosignatures of this checkpoint that verify under its key; ignore other lines."""
    if len(body) > _MAX_ANSWER_BYTES:
        _log.warning("witness %s answered with %d bytes; ignored", witness.key.name, len(body))
        return Outcome.REFUSED
    try:
        text, lines = split_note(head.note.split("\n\n", 1)[0] + "\n\n" + body.decode("utf-8"))
        mine = [line for line in lines if (line.name, line.key_id) == (witness.key.name, witness.key.key_id)]
        verified = [(line, witness.key.verify(text, line)) for line in mine]
    except (VerificationError, UnicodeDecodeError) as exc:
        _log.warning("witness %s answered with a cosignature that does not verify: %s", witness.key.name, exc)
        return Outcome.REFUSED
    if not verified:
        _log.warning("witness %s answered without its own cosignature", witness.key.name)
        return Outcome.REFUSED
    try:
        with write_connection(engine) as connection:
            cosignatures.store(connection, head.tree_size, verified)
    except RegistryError as exc:
        _log.error("could not store the cosignature of %s: %s", witness.key.name, exc)
        return Outcome.REFUSED
    _log.info("witness %s cosigned tree size %d", witness.key.name, head.tree_size)
    return Outcome.COSIGNED
