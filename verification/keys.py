"""Whether a programme key may vouch for a document, and who may change a programme's keys.

A key signs validly from the log time it was added until it was retired or revoked. A revocation
also names `compromised_since`: anything the key signed that the registry logged at or after that
instant stops verifying, while what was logged before stays valid. The signer's own dates play no
part: they are exactly what a thief with the key could write.

Keys have roles, as in TUF (the root role and the online roles): **root keys**, usually kept offline,
alone authorise key events, and a threshold of them must approve each one; **signing keys** sign the
daily documents (certificates, status events, categories, agreements) and can never change keys. So a
stolen signing key can sign documents until it is revoked, but cannot revoke the owner's keys or add
its own. A programme registered before roots existed keeps its registered keys in both roles (see
`KeyRing.registered`); it leaves that state by adding roots and retiring the dual key.

    ring = KeyRing.registered("jea", roots=[...], signing=[...], threshold=2, logged_us=...)
    change = ring.propose(event, now_us)          # raises if the event may never apply
    ring = change.approved_by({"root-1", "root-2"}, now_us)   # the new ring, once the threshold is met
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from verification.errors import HistoryInvalid, KeyNotValid, MalformedInput, NotPermitted
from verification.jwk import PublicKey, parse_public_jwk
from verification.leaf import format_log_time, to_microseconds
from verification.payloads.common import ROOT_SIGNED
from verification.payloads.events import KeyAction, KeyEvent, KeyRole
from verification.payloads.recovery import ProgrammeRecovery


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
    root: bool = False  # may sign key events and their approvals
    signing: bool = True  # may sign every other document

    @property
    def status(self) -> KeyStatus:
        if self.compromised_since_us is not None:
            return KeyStatus.REVOKED
        return KeyStatus.ACTIVE if self.ended_us is None else KeyStatus.RETIRED

    @property
    def roles(self) -> tuple[KeyRole, ...]:
        return tuple(role for role, held in ((KeyRole.ROOT, self.root), (KeyRole.SIGNING, self.signing)) if held)

    def active_at(self, logged_us: int) -> bool:
        return self.added_us <= logged_us and (self.ended_us is None or logged_us < self.ended_us)


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


def require_role_for(record: KeyRecord, typ: str) -> None:
    """Raise `NotPermitted` unless the key's role lets it sign documents of this JWS `typ`."""
    if typ in ROOT_SIGNED and not record.root:
        raise NotPermitted(
            "ROOT_KEY_REQUIRED", f"key {record.kid!r} is a signing key; only the programme's root keys change keys"
        )
    if typ not in ROOT_SIGNED and not record.signing:
        raise NotPermitted(
            "ROOT_KEY_NOT_FOR_DOCUMENTS", f"key {record.kid!r} is a root key; documents are signed with signing keys"
        )


@dataclass(frozen=True)
class KeyRing:
    """A programme's keys, its root threshold, and how many key events (recoveries included) it has had."""

    programme_id: str
    keys: tuple[KeyRecord, ...]
    threshold: int = 1
    sequence: int = 0

    @classmethod
    def registered(
        cls,
        programme_id: str,
        *,
        roots: Sequence[PublicKey],
        signing: Sequence[PublicKey],
        threshold: int,
        logged_us: int,
    ) -> KeyRing:
        """The ring a registration creates. Without roots (the form before roots existed), every key is both."""
        kids = [key.kid for key in (*roots, *signing)]
        if len(set(kids)) != len(kids):
            raise MalformedInput("DUPLICATE_KID", "key ids (kid) must be unique within a programme, roots included")
        if not roots:
            records = [KeyRecord(programme_id, k.kid, k.raw, logged_us, root=True, signing=True) for k in signing]
            return cls(programme_id, tuple(records), 1)
        if not 1 <= threshold <= len(roots):
            raise MalformedInput(
                "ROOT_THRESHOLD_UNREACHABLE", f"a threshold of {threshold} needs at least that many root keys"
            )
        records = [KeyRecord(programme_id, k.kid, k.raw, logged_us, root=True, signing=False) for k in roots]
        records += [KeyRecord(programme_id, k.kid, k.raw, logged_us) for k in signing]
        return cls(programme_id, tuple(records), threshold)

    def find(self, kid: str) -> KeyRecord | None:
        return next((record for record in self.keys if record.kid == kid), None)

    def active_roots(self) -> list[KeyRecord]:
        return [record for record in self.keys if record.root and record.status is KeyStatus.ACTIVE]

    def propose(self, event: KeyEvent, now_us: int) -> KeyChange:
        """The change `event` makes if approved now; raise if it is out of sequence or may never apply."""
        expected = self.sequence + 1
        if event.sequence != expected:
            code = "EVENT_REPLAYED" if event.sequence < expected else "SEQUENCE_GAP"
            raise HistoryInvalid(code, f"key event sequence {event.sequence}; the next is {expected}")
        return KeyChange(self, event, *self._apply(event, now_us))

    def recover(self, recovery: ProgrammeRecovery, now_us: int) -> KeyRing:
        """The ring after the operator's recovery: the new roots replace every earlier root."""
        if recovery.programme != self.programme_id:
            raise MalformedInput("WRONG_PROGRAMME", f"the recovery names {recovery.programme!r}")
        if recovery.sequence != self.sequence + 1:
            raise HistoryInvalid(
                "SEQUENCE_GAP", f"recovery sequence {recovery.sequence}; the next is {self.sequence + 1}"
            )
        roots = [parse_public_jwk(jwk) for jwk in recovery.root_keys]
        if len({key.kid for key in roots}) != len(roots) or any(self.find(key.kid) for key in roots):
            raise MalformedInput("DUPLICATE_KID", "recovered root keys need key ids the programme has never used")
        kept = [
            replace(r, ended_us=now_us) if r.root and r.ended_us is None and not r.signing else r for r in self.keys
        ]
        # A dual key (a registration from before roots existed) keeps signing but stops being a root.
        kept = [replace(r, root=False) if r.root and r.signing else r for r in kept]
        added = [KeyRecord(self.programme_id, k.kid, k.raw, now_us, root=True, signing=False) for k in roots]
        return KeyRing(self.programme_id, (*kept, *added), recovery.root_threshold, recovery.sequence)

    def _apply(self, event: KeyEvent, now_us: int) -> tuple[tuple[KeyRecord, ...], int, KeyRecord | None]:
        """(keys, threshold, the record added or ended) after `event`; raise if it may not apply."""
        if event.action is KeyAction.THRESHOLD:
            assert event.threshold is not None  # KeyEvent's validator guarantees it
            self._require_reachable(len(self.active_roots()), event.threshold)
            return self.keys, event.threshold, None
        if event.action is KeyAction.ADD:
            key = parse_public_jwk(event.key or {})
            if self.find(key.kid) is not None:
                raise HistoryInvalid("DUPLICATE_KID", f"key {key.kid!r} already exists for this programme")
            root = event.role is KeyRole.ROOT
            added = KeyRecord(self.programme_id, key.kid, key.raw, added_us=now_us, root=root, signing=not root)
            return (*self.keys, added), self.threshold, added
        target = self.find(event.kid or "")
        if target is None:
            raise HistoryInvalid("UNKNOWN_KID", f"the programme has no key {event.kid!r}")
        ended = (
            self._retire(target, now_us) if event.action is KeyAction.RETIRE else self._revoke(target, event, now_us)
        )
        return tuple(ended if r.kid == target.kid else r for r in self.keys), self.threshold, ended

    def _retire(self, target: KeyRecord, now_us: int) -> KeyRecord:
        if target.status is not KeyStatus.ACTIVE:
            raise HistoryInvalid("KEY_NOT_ACTIVE", f"key {target.kid!r} is already {target.status}")
        others = [r for r in self.keys if r.kid != target.kid and r.status is KeyStatus.ACTIVE]
        if target.signing and not any(r.signing for r in others):
            raise HistoryInvalid(
                "LAST_ACTIVE_KEY", "retiring the last active signing key would leave the programme unable to sign"
            )
        if target.root:
            self._require_reachable(sum(r.root for r in others), self.threshold)
        return replace(target, ended_us=now_us)

    def _revoke(self, target: KeyRecord, event: KeyEvent, now_us: int) -> KeyRecord:
        """Revocation may leave the roots below the threshold: then only the operator's recovery helps."""
        if target.status is KeyStatus.REVOKED:
            raise HistoryInvalid("KEY_ALREADY_REVOKED", f"key {target.kid!r} is already revoked")
        assert event.compromised_since is not None  # KeyEvent's validator requires it for revoke
        compromised_us = to_microseconds(event.compromised_since)
        if compromised_us > now_us:
            raise MalformedInput("COMPROMISE_IN_FUTURE", "compromisedSince cannot be later than the revocation")
        if compromised_us < target.added_us:
            raise MalformedInput(
                "COMPROMISE_BEFORE_KEY",
                f"compromisedSince cannot be earlier than the key's addition at {format_log_time(target.added_us)}",
            )
        ended = now_us if target.ended_us is None else min(target.ended_us, now_us)
        return replace(target, ended_us=ended, compromised_since_us=compromised_us)

    @staticmethod
    def _require_reachable(roots: int, threshold: int) -> None:
        if threshold > roots:
            raise HistoryInvalid(
                "ROOT_THRESHOLD_UNREACHABLE",
                f"{roots} active root key(s) could never meet a threshold of {threshold}",
            )


@dataclass(frozen=True)
class KeyChange:
    """A key event judged against the ring it was proposed to: what it changes once approved."""

    ring: KeyRing
    event: KeyEvent
    keys: tuple[KeyRecord, ...]
    threshold: int
    changed: KeyRecord | None

    def approvals(self, kids: Iterable[str]) -> frozenset[str]:
        """The distinct kids among `kids` that are active roots of the ring (so their approvals count)."""
        roots = {record.kid for record in self.ring.active_roots()}
        return frozenset(kid for kid in kids if kid in roots)

    def approvals_needed(self, kids: Iterable[str]) -> int:
        return max(0, self.ring.threshold - len(self.approvals(kids)))

    def approved_by(self, kids: Iterable[str]) -> KeyRing:
        """The ring after the event, once enough distinct roots have signed it; raise while they have not."""
        missing = self.approvals_needed(kids)
        if missing:
            raise HistoryInvalid("APPROVALS_MISSING", f"{missing} more root approval(s) are needed")
        return KeyRing(self.ring.programme_id, self.keys, self.threshold, self.event.sequence)
