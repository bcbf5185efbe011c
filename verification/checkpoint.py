"""C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): a log's signed tree head as a signed note.

Note text: origin line, tree size line (ASCII decimal, no leading zeros unless it is ``0``), base64
root hash line, then optional non-empty extension lines; every line ends with a newline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from verification.b64 import b64_decode, b64_encode
from verification.errors import CheckpointInvalid, MalformedInput
from verification.merkle import HASH_SIZE
from verification.note import NoteSigner, NoteVerifier, open_note, sign_note
from verification.result import VerificationResult, capture

__all__ = ["Checkpoint", "check_checkpoint", "parse_checkpoint_text", "sign_checkpoint", "verify_checkpoint"]

_DECIMAL = re.compile(r"0|[1-9][0-9]*")  # ASCII only: str.isdigit() would also accept other scripts
_MAX_TREE_SIZE = 2**64 - 1  # tree sizes are uint64 in RFC 9162 §4.1 and every C2SP implementation


@dataclass(frozen=True)
class Checkpoint:
    """The body of a checkpoint: which log, how many leaves, and the RFC 9162 root hash."""

    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Lines MUST be non-empty (tlog-checkpoint "Note text"), and none may contain a newline.
        for line in (self.origin, *self.extensions):
            if not line or "\n" in line:
                raise CheckpointInvalid("BAD_LINE", "origin and extension lines must be one non-empty line")
        size = self.tree_size
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= _MAX_TREE_SIZE:
            raise CheckpointInvalid("BAD_TREE_SIZE", f"tree size {size!r} is not a uint64")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointInvalid("BAD_ROOT_HASH", f"root hash must be {HASH_SIZE} bytes")

    def to_text(self) -> str:
        lines = [self.origin, str(self.tree_size), b64_encode(self.root_hash), *self.extensions]
        return "".join(f"{line}\n" for line in lines)


def parse_checkpoint_text(text: str) -> Checkpoint:
    """Parse a checkpoint note text strictly; raise :class:`CheckpointInvalid` on any deviation."""
    if not text.endswith("\n"):
        raise CheckpointInvalid("MISSING_FINAL_NEWLINE", "checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointInvalid("TOO_FEW_LINES", "checkpoint needs origin, tree size and root hash lines")
    origin, size_line, root_line, *extensions = lines
    if not _DECIMAL.fullmatch(size_line) or int(size_line) > _MAX_TREE_SIZE:
        raise CheckpointInvalid("BAD_TREE_SIZE", f"tree size {size_line[:30]!r} is not canonical decimal")
    try:
        root = b64_decode(root_line, what="root hash")
    except MalformedInput as err:
        raise CheckpointInvalid("BAD_ROOT_HASH", err.detail) from err
    return Checkpoint(origin, int(size_line), root, tuple(extensions))


def sign_checkpoint(cp: Checkpoint, signer: NoteSigner) -> str:
    """The signed note for ``cp``; the key name SHOULD equal the origin (tlog-checkpoint "Signatures")."""
    return sign_note(cp.to_text(), [signer])


def verify_checkpoint(note: str, verifier: NoteVerifier, *, origin: str | None = None) -> Checkpoint:
    """Verify the log's signature on ``note`` and return the checkpoint it carries.

    Pass ``origin`` whenever the expected log is known: the signature proves who signed, the origin
    proves which log the tree head belongs to, and a key shared between logs would otherwise let one
    log's checkpoint stand in for another's.
    """
    opened = open_note(note, [verifier])
    cp = parse_checkpoint_text(opened.text)
    if origin is not None and cp.origin != origin:
        raise CheckpointInvalid("ORIGIN_MISMATCH", f"checkpoint is for {cp.origin!r}, expected {origin!r}")
    return cp


def check_checkpoint(note: str, verifier: NoteVerifier, *, origin: str | None = None) -> VerificationResult:
    """Non-raising twin of :func:`verify_checkpoint`."""
    return capture(lambda: verify_checkpoint(note, verifier, origin=origin))
