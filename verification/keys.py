"""Whether a programme key may vouch for a document, judged by the registry's log time.

A key signs validly from the log time it was added until it was retired or revoked. A revocation
also names `compromised_since`: anything the key signed that the registry logged at or after that
instant stops verifying, while what was logged before stays valid. The signer's own dates play no
part: they are exactly what a thief with the key could write.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from verification.errors import KeyNotValid
from verification.leaf import format_log_time


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
