"""The resume file of a bulk submission: which records the registry has acknowledged, and how.

It is rewritten atomically (temporary file, fsync, rename) after every batch, so an interruption at
any moment leaves either the previous or the new state, never a torn file. Losing the last write costs
nothing but a resubmission, which the registry answers with "duplicate".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from verification.client.files import write_atomically

STATE_VERSION = 1


class StateMismatch(Exception):
    """The state file belongs to another programme or registry key, or is not a state file at all."""


@dataclass(frozen=True)
class Acknowledged:
    certificate_id: str
    leaf_index: int
    outcome: str  # "accepted" or "duplicate"
    rows: tuple[int, ...]


@dataclass
class BulkState:
    programme: str
    checkpoint_verifier_key: str | None = None
    acknowledged: dict[str, Acknowledged] = field(default_factory=dict)
    # The credentialStatus given to each record before it was signed: a rerun signs the same bytes, so
    # the registry recognises a credential it accepted but never acknowledged as a duplicate.
    status_slots: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, programme: str) -> BulkState:
        """The state at `path`, or a fresh one if the file does not exist yet."""
        if not path.exists():
            return cls(programme)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            state = cls._from_json(data)
        except (ValueError, KeyError, TypeError) as exc:
            raise StateMismatch(f"{path} is not a bulk-submission state file: {exc}") from exc
        if state.programme != programme:
            raise StateMismatch(f"{path} records a submission for programme {state.programme!r}, not {programme!r}")
        return state

    def pin_registry_key(self, key: str) -> None:
        """Remember the registry's checkpoint key; a different key on resume means a different registry."""
        if self.checkpoint_verifier_key is not None and self.checkpoint_verifier_key != key:
            raise StateMismatch(
                f"the registry's checkpoint key is now {key!r}, but this state was recorded under "
                f"{self.checkpoint_verifier_key!r}; use a new state file for another registry"
            )
        self.checkpoint_verifier_key = key

    def save(self, path: Path) -> None:
        data = json.dumps(self._to_json(), indent=1, sort_keys=True).encode("utf-8")
        write_atomically(path, data, mode=0o600)

    def _to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "programme": self.programme,
            "checkpoint_verifier_key": self.checkpoint_verifier_key,
            "acknowledged": {key: asdict(ack) for key, ack in self.acknowledged.items()},
            "status_slots": self.status_slots,
        }

    @classmethod
    def _from_json(cls, data: Any) -> BulkState:
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ValueError(f"expected a version {STATE_VERSION} state object")
        acknowledged = {
            str(key): Acknowledged(
                certificate_id=str(ack["certificate_id"]),
                leaf_index=int(ack["leaf_index"]),
                outcome=str(ack["outcome"]),
                rows=tuple(int(row) for row in ack["rows"]),
            )
            for key, ack in data["acknowledged"].items()
        }
        key = data.get("checkpoint_verifier_key")
        slots = data.get("status_slots", {})  # absent in files written before status lists
        if not isinstance(slots, dict):
            raise TypeError("status_slots is an object")
        return cls(str(data["programme"]), key if isinstance(key, str) else None, acknowledged, slots)
