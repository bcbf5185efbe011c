"""Whether a programme key may vouch for a document, judged by the registry's log time.

A key signs validly from the log time it was added until it was retired or revoked. A revocation
also names `compromised_since`: anything the key signed that the registry logged at or after that
instant stops verifying, while what was logged before stays valid. The signer's own dates play no
part: they are exactly what a thief with the key could write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from verification.errors import HistoryInvalid, KeyNotValid, MalformedInput
from verification.jwk import parse_public_jwk
from verification.leaf import format_log_time, to_microseconds
from verification.payloads.events import KeyAction, KeyEvent


class KeyStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class KeyRecord:
    programme_id: str
    kid: str
    public_key: bytes
    added_us: int
    ended_us: int | None = None  # log time of the retirement or revocation
    compromised_since_us: int | None = None

    @property
    def status(self) -> KeyStatus:
        if self.compromised_since_us is not None:
            return KeyStatus.REVOKED
        return KeyStatus.ACTIVE if self.ended_us is None else KeyStatus.RETIRED


def require_key_valid_at(record: KeyRecord, logged_us: int) -> None:
    """Raise `KeyNotValid` unless a document logged at `logged_us` may carry this key's signature."""
    if logged_us < record.added_us:
        raise KeyNotValid("KEY_NOT_YET_VALID", f"key {record.kid!r} was added at {format_log_time(record.added_us)}")
    if record.compromised_since_us is not None and logged_us >= record.compromised_since_us:
        raise KeyNotValid(
            "SIGNING_KEY_REVOKED",
            f"key {record.kid!r} is revoked as compromised since {format_log_time(record.compromised_since_us)}",
        )
    if record.ended_us is not None and logged_us >= record.ended_us:
        raise KeyNotValid(
            "SIGNING_KEY_RETIRED", f"key {record.kid!r} was retired at {format_log_time(record.ended_us)}"
        )


def apply_key_event(event: KeyEvent, current: Sequence[KeyRecord], now_us: int) -> KeyRecord:
    """The key record a key event creates or changes, logged at `now_us`; raise if it may not apply.

    The event's signature, sequence and signing key are checked by the caller; this is the lifecycle.
    """
    by_kid = {record.kid: record for record in current}
    if event.action is KeyAction.ADD:
        key = parse_public_jwk(event.key)  # KeyEvent's validator guarantees a key for add
        if key.kid in by_kid:
            raise HistoryInvalid("DUPLICATE_KID", f"key {key.kid!r} already exists for this programme")
        return KeyRecord(event.programme_id, key.kid, key.raw, added_us=now_us)
    target = by_kid.get(event.kid or "")
    if target is None:
        raise HistoryInvalid("UNKNOWN_KID", f"the programme has no key {event.kid!r}")
    if event.action is KeyAction.RETIRE:
        if target.status is not KeyStatus.ACTIVE:
            raise HistoryInvalid("KEY_NOT_ACTIVE", f"key {target.kid!r} is already {target.status}")
        if not any(r.status is KeyStatus.ACTIVE and r.kid != target.kid for r in current):
            raise HistoryInvalid(
                "LAST_ACTIVE_KEY", "retiring the last active key would leave the programme unable to sign"
            )
        return replace(target, ended_us=now_us)
    if target.status is KeyStatus.REVOKED:
        raise HistoryInvalid("KEY_ALREADY_REVOKED", f"key {target.kid!r} is already revoked")
    if event.compromised_since is None:  # unreachable: KeyEvent's validator requires it for revoke
        raise MalformedInput("PAYLOAD_INVALID", "revoke needs compromisedSince")
    compromised_us = to_microseconds(event.compromised_since)
    if compromised_us > now_us:
        raise MalformedInput("COMPROMISE_IN_FUTURE", "compromisedSince cannot be later than the revocation")
    ended = now_us if target.ended_us is None else min(target.ended_us, now_us)
    return replace(target, ended_us=ended, compromised_since_us=compromised_us)
