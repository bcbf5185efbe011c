"""C2SP tlog-policy (https://c2sp.org/tlog-policy): which logs and witnesses a verifier trusts, and the quorum.

    log ecolabel-registry.example/log+1a2b3c4d+AW...
    witness gen     witness.gen.example/w1+5e6f7a8b+BH...  https://witness.gen.example/
    witness jas-anz witness.jas-anz.example+0c1d2e3f+BK...
    group both all gen jas-anz
    quorum both

A checkpoint is valid under the policy if one of the listed logs signed it and the witnesses that
cosigned it (C2SP tlog-cosignature) satisfy the quorum. This is what stops a split view: a log that
shows two different trees to two verifiers cannot get both cosigned by the same honest witnesses.

    policy = Policy.parse(Path("policy.txt").read_text())
    witnessed = policy.verify(note)          # raises WitnessQuorumNotMet, naming who did cosign
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from verification.checkpoint import Checkpoint, parse_checkpoint_text
from verification.cosignature import CosignerKey, verify_cosignatures
from verification.errors import CheckpointInvalid, MalformedInput, VerificationError
from verification.note import NoteVerifier, open_note

__all__ = ["Group", "Policy", "WitnessEntry", "WitnessQuorumNotMet", "WitnessedCheckpoint"]

NONE = "none"  # tlog-policy: the predefined name that requires no cosignature
MAX_ITEMS = 1000  # logs, witnesses and groups together; the spec asks for at least 32 of each
_WHITESPACE = re.compile(r"[ \t]+")
_DECIMAL = re.compile(r"[1-9][0-9]*")


class WitnessQuorumNotMet(VerificationError):
    """The checkpoint is signed by the log, but not cosigned by enough of the policy's witnesses."""

    summary = "The checkpoint is not witnessed as the policy requires"
    remedy = (
        "Fetch a checkpoint the witnesses have cosigned (the registry's /log/checkpoint once its witnesses "
        "answered, or a tlog-proof made from it), or check that the policy names the witnesses the log uses."
    )


@dataclass(frozen=True)
class WitnessEntry:
    name: str
    key: CosignerKey
    url: str | None = None


@dataclass(frozen=True)
class Group:
    """Witnessed when at least `threshold` of its members (witnesses or earlier groups) are."""

    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class WitnessedCheckpoint:
    checkpoint: Checkpoint
    note: str
    log_key: NoteVerifier
    cosigned_by: Mapping[str, int]  # policy witness name -> cosignature timestamp


@dataclass(frozen=True)
class Policy:
    logs: tuple[NoteVerifier, ...]
    log_urls: Mapping[NoteVerifier, str | None]
    witnesses: Mapping[str, WitnessEntry]
    groups: Mapping[str, Group]
    quorum: str
    text: str = field(default="", compare=False)

    @classmethod
    def parse(cls, text: str | bytes) -> Policy:
        return _Parser().parse(text)

    @classmethod
    def no_witnesses(cls, log: NoteVerifier) -> Policy:
        """`log <vkey>` and `quorum none`: the log's signature alone, as before witnesses existed."""
        return cls.parse(f"log {log.to_string()}\nquorum none\n")

    def satisfied_by(self, cosigned: set[str]) -> bool:
        """Whether witnesses with these policy names, having cosigned, meet the quorum."""
        return self._witnessed(self.quorum, cosigned)

    def _witnessed(self, name: str, cosigned: set[str]) -> bool:
        if name == NONE:
            return True
        group = self.groups.get(name)
        if group is None:
            return name in cosigned
        return sum(self._witnessed(member, cosigned) for member in group.members) >= group.threshold

    def verify(
        self, note: str, *, log_keys: Sequence[NoteVerifier] = (), origin: str | None = None
    ) -> WitnessedCheckpoint:
        """Raise unless a trusted log signed `note` and the cosigning witnesses meet the quorum.

        `log_keys` adds log keys known from elsewhere (a policy may list no log, tlog-policy "What is a
        policy"). The origin must be the log key's name (tlog-policy "Defining a log").
        """
        trusted = tuple(dict.fromkeys((*self.logs, *log_keys)))
        if not trusted:
            raise MalformedInput("NO_LOG_KEY", "the policy lists no log and no log key was given")
        opened = open_note(note, trusted)
        checkpoint = parse_checkpoint_text(opened.text)
        signer = opened.verified_by[0]
        if checkpoint.origin != signer.name:
            raise CheckpointInvalid("ORIGIN_MISMATCH", f"checkpoint origin {checkpoint.origin!r} is not its key's name")
        if origin is not None and checkpoint.origin != origin:
            raise CheckpointInvalid("ORIGIN_MISMATCH", f"checkpoint is for {checkpoint.origin!r}, expected {origin!r}")
        by_key = {entry.key: entry.name for entry in self.witnesses.values()}
        found = verify_cosignatures(note, list(by_key))
        cosigned = {by_key[key]: timestamp for key, timestamp in found.items()}
        if not self.satisfied_by(set(cosigned)):
            have = ", ".join(sorted(cosigned)) or "no witness"
            raise WitnessQuorumNotMet(
                "QUORUM_NOT_MET",
                f"the checkpoint of size {checkpoint.tree_size} is cosigned by {have}; the policy's quorum "
                f"{self.quorum!r} needs {self.describe(self.quorum)}",
            )
        return WitnessedCheckpoint(checkpoint, note, signer, cosigned)

    def describe(self, name: str) -> str:
        if name == NONE:
            return "no witness"
        group = self.groups.get(name)
        if group is None:
            return f"witness {name}"
        inner = ", ".join(self.describe(member) for member in group.members)
        return f"{group.threshold} of ({inner})"


class _Parser:
    """tlog-policy "Policy file syntax and structure", line by line; names must be defined before use."""

    def __init__(self) -> None:
        self.logs: dict[NoteVerifier, str | None] = {}
        self.witnesses: dict[str, WitnessEntry] = {}
        self.groups: dict[str, Group] = {}
        self.quorum: str | None = None

    def parse(self, text: str | bytes) -> Policy:
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as err:
                raise MalformedInput("BAD_POLICY", f"the policy is not UTF-8 at byte {err.start}") from err
        # Only tab and newline among the control characters (tlog-policy "Character set").
        if any((ord(ch) < 0x20 and ch not in "\t\n") or ord(ch) == 0x7F for ch in text):
            raise MalformedInput("BAD_POLICY", "the policy contains a control character other than tab and newline")
        for number, raw in enumerate(text.split("\n"), start=1):
            line = raw.strip(" \t")
            if not line or line.startswith("#"):
                continue
            try:
                self._line(_WHITESPACE.split(line))
            except MalformedInput as err:
                raise MalformedInput("BAD_POLICY", f"policy line {number}: {err.detail}") from err
            if len(self.logs) + len(self.witnesses) + len(self.groups) > MAX_ITEMS:
                raise MalformedInput(
                    "BAD_POLICY", f"the policy defines more than {MAX_ITEMS} logs, witnesses and groups"
                )
        if self.quorum is None:
            raise MalformedInput("BAD_POLICY", "the policy has no quorum line")
        return Policy(
            logs=tuple(self.logs),
            log_urls=dict(self.logs),
            witnesses=dict(self.witnesses),
            groups=dict(self.groups),
            quorum=self.quorum,
            text=text,
        )

    def _line(self, words: list[str]) -> None:
        keyword, arguments = words[0], words[1:]
        if keyword == "log" and len(arguments) in (1, 2):
            self._log(arguments)
        elif keyword == "witness" and len(arguments) in (2, 3):
            self._witness(arguments)
        elif keyword == "group" and len(arguments) >= 3:
            self._group(arguments[0], arguments[1], arguments[2:])
        elif keyword == "quorum" and len(arguments) == 1:
            if self.quorum is not None:
                raise MalformedInput("BAD_POLICY", "a policy has exactly one quorum line")
            self._require_defined(arguments[0], allow_none=True)
            self.quorum = arguments[0]
        else:
            raise MalformedInput("BAD_POLICY", f"unknown or malformed {keyword!r} line")

    def _log(self, arguments: list[str]) -> None:
        key = NoteVerifier.from_string(arguments[0])
        if any(known.public_key == key.public_key for known in self.logs):
            raise MalformedInput("BAD_POLICY", f"log {key.name} is listed twice")
        self.logs[key] = arguments[1] if len(arguments) == 2 else None

    def _witness(self, arguments: list[str]) -> None:
        name, key = arguments[0], CosignerKey.from_string(arguments[1])
        self._require_new(name)
        if any(entry.key.public_key == key.public_key for entry in self.witnesses.values()):
            raise MalformedInput("BAD_POLICY", f"witness {name}'s key is already listed")
        self.witnesses[name] = WitnessEntry(name, key, arguments[2] if len(arguments) == 3 else None)

    def _group(self, name: str, threshold: str, members: list[str]) -> None:
        self._require_new(name)
        if len(set(members)) != len(members):
            raise MalformedInput("BAD_POLICY", f"group {name} lists a member twice")
        for member in members:
            self._require_defined(member, allow_none=False)
        if threshold == "all":
            k = len(members)
        elif threshold == "any":
            k = 1
        elif _DECIMAL.fullmatch(threshold) and int(threshold) <= len(members):
            k = int(threshold)
        else:
            raise MalformedInput("BAD_POLICY", f"group {name}'s threshold must be all, any or 1..{len(members)}")
        self.groups[name] = Group(name, k, tuple(members))

    def _require_new(self, name: str) -> None:
        if name == NONE or name in self.witnesses or name in self.groups:
            raise MalformedInput("BAD_POLICY", f"the name {name!r} is reserved or already defined")

    def _require_defined(self, name: str, *, allow_none: bool) -> None:
        if name == NONE and allow_none:
            return
        if name not in self.witnesses and name not in self.groups:
            raise MalformedInput("BAD_POLICY", f"{name!r} is not a witness or group defined on an earlier line")
