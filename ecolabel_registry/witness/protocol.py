"""tlog-witness `add-checkpoint`, step by step in the spec's order, with the status code each step answers.

A request body is an old size line, up to 63 consistency proof lines, a blank line and a checkpoint:

    old 20852014
    PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
    ...

    example.com/behind-the-sofa
    20852163
    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

    — example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/...

There is no authentication beyond the log's signature on the checkpoint (tlog-witness "Introduction"):
anyone may submit, and the witness cosigns only what extends what it cosigned before.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ecolabel_registry.witness.state import WitnessState
from verification.b64 import b64_decode
from verification.checkpoint import Checkpoint, parse_checkpoint_text
from verification.cosignature import Cosigner
from verification.errors import CheckpointInvalid, MalformedInput, SignatureInvalid, UnknownKey, VerificationError
from verification.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency
from verification.note import NoteVerifier, open_note, split_note

MAX_BODY_BYTES = 64 * 1024  # 63 proof lines and a checkpoint with a hundred signatures fit with room to spare
MAX_PROOF_LINES = 63  # tlog-witness: "The client MUST NOT send more than 63 consistency proof lines"
SIZE_MEDIA_TYPE = "text/x.tlog.size"
_OLD = re.compile(r"old (0|[1-9][0-9]*)")
_log = logging.getLogger("ecolabel_registry.witness")


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    media_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Submission:
    old_size: int
    proof: tuple[bytes, ...]
    note: str


def parse_submission(body: bytes) -> Submission:
    if len(body) > MAX_BODY_BYTES:
        raise MalformedInput("TOO_LARGE", f"a submission is at most {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedInput("INVALID_UTF8", "the body is not UTF-8") from err
    head, separator, note = text.partition("\n\n")
    if not separator:
        raise MalformedInput("BAD_SUBMISSION", "the body is an old size line, proof lines, a blank line, a checkpoint")
    lines = head.split("\n")
    matched = _OLD.fullmatch(lines[0])
    if matched is None or int(matched[1]) >= 2**64:
        raise MalformedInput("BAD_SUBMISSION", "the first line is 'old <size>' in decimal without leading zeroes")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise MalformedInput("BAD_SUBMISSION", f"at most {MAX_PROOF_LINES} consistency proof lines")
    proof = tuple(b64_decode(line, what="consistency proof line") for line in lines[1:])
    if any(len(node) != HASH_SIZE for node in proof):
        raise MalformedInput("BAD_SUBMISSION", "each consistency proof line is one base64 SHA-256 hash")
    return Submission(int(matched[1]), proof, note)


class Witness:
    """The witness's decision procedure; the HTTP layer (`witness.app`) only carries its answers."""

    def __init__(
        self,
        cosigner: Cosigner,
        logs: Mapping[str, Sequence[NoteVerifier]],
        state: WitnessState,
        clock: Callable[[], float],
    ) -> None:
        self.cosigner = cosigner
        self.logs = logs
        self.state = state
        self.clock = clock

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            submission = parse_submission(body)
            text, _ = split_note(submission.note)
            checkpoint = parse_checkpoint_text(text)
        except (MalformedInput, CheckpointInvalid) as err:
            return Answer(400, f"{err.code}: {err.detail}\n")
        keys = self.logs.get(checkpoint.origin)
        if not keys:
            return Answer(404, "unknown log origin\n")
        try:
            opened = open_note(submission.note, keys)
        except (UnknownKey, SignatureInvalid, MalformedInput) as err:
            # No trusted signature, or a trusted key's signature that fails (a malformed note, signed-note).
            return Answer(403, f"{err.code}: the checkpoint is not signed by this log's key\n")
        if submission.old_size > checkpoint.tree_size:
            return Answer(400, "the old size is larger than the checkpoint's\n")
        log_lines = [
            line for line in split_note(submission.note)[1] if (line.name, line.key_id) in _ids(opened.verified_by)
        ]
        with self.state.locked():
            return self._decide(submission, checkpoint, text, "".join(line.to_line() for line in log_lines))

    def _decide(self, submission: Submission, checkpoint: Checkpoint, text: str, log_signatures: str) -> Answer:
        stored = self.state.latest(checkpoint.origin)
        current = parse_checkpoint_text(split_note(stored)[0]) if stored is not None else None
        current_size = current.tree_size if current is not None else 0
        if submission.old_size != current_size:
            return Answer(409, f"{current_size}\n", SIZE_MEDIA_TYPE)
        if checkpoint.tree_size == 0 and checkpoint.root_hash != EMPTY_ROOT:
            return self._refuse(checkpoint, submission.note, "a tree of size 0 has the empty root")
        if current is None or submission.old_size == 0:
            if submission.proof:
                return self._refuse(checkpoint, submission.note, "a proof from size 0 must be empty")
        else:
            try:
                verify_consistency(
                    current.tree_size, checkpoint.tree_size, submission.proof, current.root_hash, checkpoint.root_hash
                )
            except VerificationError as err:
                return self._refuse(checkpoint, submission.note, f"not consistent with the cosigned tree: {err.code}")
        timestamp = max(1, int(self.clock()))
        line = self.cosigner.cosign(text, timestamp).to_line()
        self.state.store(checkpoint.origin, text + "\n" + log_signatures + line)
        _log.info("cosigned %s at size %d", checkpoint.origin, checkpoint.tree_size)
        return Answer(200, line)

    def _refuse(self, checkpoint: Checkpoint, note: str, reason: str) -> Answer:
        # A validly signed checkpoint that contradicts the cosigned one may prove the log forked: keep it.
        kept = self.state.keep_evidence(checkpoint.origin, note)
        _log.warning("refused %s at size %d: %s (kept in %s)", checkpoint.origin, checkpoint.tree_size, reason, kept)
        return Answer(422, reason + "\n")


def _ids(keys: Sequence[NoteVerifier]) -> set[tuple[str, bytes]]:
    return {(key.name, key.key_id) for key in keys}
