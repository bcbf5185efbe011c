"""Copy a tiled log into a directory, verifying every checkpoint, entry, document and tile on the way.

    with TiledLog.open("https://registry.example/log") as source:
        report = sync(source, Path("mirror"), log_key=key, policy=policy)

The directory then holds what the source serves (`checkpoint`, `tile/…`, `documents/…`) and can be
served as static files (`ecolabel-verify serve`); a monitor can follow it instead of the registry. A
sync goes from the size this mirror verified last to the source's checkpoint:

1. the checkpoint is signed by the log's key (and, with a policy, cosigned by enough witnesses);
2. entries it already holds must come back byte for byte (else the history was rewritten);
3. every new entry is a canonical leaf input, and its document, if public, hashes to what the entry
   commits to; a supply-chain document must not be published at all (it is not copied);
4. the new leaves, appended to the mirror's compact range, give the checkpoint's root hash, so the new
   tree extends the one mirrored before (RFC 9162 §2.1.1; no separate consistency proof is needed);
5. every tile that changed is recomputed from the level below and must equal the source's.

Only then is the checkpoint written, after the files it names, and the mirror's state saved. This is a
pull mirror: it copies and checks, and signs nothing (C2SP tlog-mirror's push protocol and mirror
cosignatures are a different role).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from verification.b64 import b64_decode, b64_encode
from verification.checkpoint import Checkpoint, verify_checkpoint
from verification.client.files import write_atomically
from verification.client.tiles import TiledLog
from verification.compact import CompactRange
from verification.errors import MalformedInput, ProofInvalid
from verification.leaf import parse_leaf_input
from verification.merkle import EMPTY_ROOT, leaf_hash
from verification.note import NoteVerifier
from verification.policy import Policy
from verification.tiles import (
    MAX_LEVEL,
    TILE_WIDTH,
    Tile,
    TileData,
    decode_entry_bundle,
    encode_document_bundle,
    encode_entry_bundle,
    perfect_root,
    tile_hashes,
    tile_width,
)

STATE_FILE = ".mirror-state.json"


class MirrorAlarm(ProofInvalid):
    """The source's log is not what its checkpoint says, or not an extension of what was mirrored."""

    summary = "The log failed verification while mirroring"
    remedy = "Nothing was written past the last verified checkpoint; keep this output as evidence and report it."

    def __init__(self, code: str, detail: str, leaf_index: int | None = None) -> None:
        super().__init__(code, detail)
        self.leaf_index = leaf_index


@dataclass
class MirrorState:
    log_key: str
    tree_size: int = 0
    root_hash: bytes = EMPTY_ROOT
    frontier: list[bytes] = field(default_factory=list)

    @classmethod
    def load(cls, directory: Path) -> MirrorState | None:
        path = directory / STATE_FILE
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                data["log_key"],
                int(data["tree_size"]),
                b64_decode(data["root_hash"]),
                [b64_decode(h) for h in data["frontier"]],
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise MalformedInput("BAD_MIRROR_STATE", f"{path} is not a mirror state: {exc}") from exc

    def save(self, directory: Path) -> None:
        data = {
            "log_key": self.log_key,
            "tree_size": self.tree_size,
            "root_hash": b64_encode(self.root_hash),
            "frontier": [b64_encode(h) for h in self.frontier],
        }
        write_atomically(directory / STATE_FILE, json.dumps(data, indent=2).encode())


@dataclass(frozen=True)
class MirrorReport:
    previous_size: int
    tree_size: int
    entries_copied: int
    files_written: int


def sync(source: TiledLog, directory: Path, *, log_key: NoteVerifier, policy: Policy | None = None) -> MirrorReport:
    note = source.checkpoint()
    if policy is None:
        checkpoint = verify_checkpoint(note, log_key, origin=log_key.name)
    else:
        checkpoint = policy.verify(note, log_keys=[log_key], origin=log_key.name).checkpoint
    directory.mkdir(parents=True, exist_ok=True)
    state = MirrorState.load(directory) or MirrorState(log_key.to_string())
    if state.log_key != log_key.to_string():
        raise MirrorAlarm("KEY_CHANGED", "this directory mirrors a log with another key")
    copy = _Copy(source, directory, state, checkpoint)
    written = copy.run()
    write_atomically(directory / "checkpoint", note.encode("utf-8"))
    MirrorState(state.log_key, checkpoint.tree_size, checkpoint.root_hash, copy.compact.hashes).save(directory)
    return MirrorReport(state.tree_size, checkpoint.tree_size, checkpoint.tree_size - state.tree_size, written + 1)


class _Copy:
    def __init__(self, source: TiledLog, directory: Path, state: MirrorState, checkpoint: Checkpoint) -> None:
        self.source, self.directory, self.state, self.checkpoint = source, directory, state, checkpoint
        self.old, self.new = state.tree_size, checkpoint.tree_size
        self.compact = CompactRange(state.tree_size, state.frontier)
        self.leaves: dict[int, list[bytes]] = {}  # level-0 hashes of the bundles read in this sync
        self.written = 0

    def run(self) -> int:
        if self.new < self.old:
            raise MirrorAlarm("LOG_SHRANK", f"the log shrank from {self.old} to {self.new} leaves", self.new)
        if self.new == self.old:
            if self.checkpoint.root_hash != self.state.root_hash:
                raise MirrorAlarm("FORKED", f"two checkpoints of size {self.new} with different roots")
            return 0
        for index, entries, documents in self.source.bundles(self.old, self.new, self.new):
            self._bundle(index, entries, documents)
        if self.compact.root() != self.checkpoint.root_hash:
            raise MirrorAlarm("ROOT_MISMATCH", f"the entries do not give the signed root of size {self.new}")
        self._tiles()
        return self.written

    def _bundle(self, index: int, entries: list[bytes], documents: list[bytes | None]) -> None:
        start = index * TILE_WIDTH
        held = tile_width(0, index, self.old)
        if held:
            kept = decode_entry_bundle(self._local(Tile(0, index, held, TileData.ENTRIES)), held)
            changed = [offset for offset in range(held) if entries[offset] != kept[offset]]
            if changed:
                leaf = start + changed[0]
                raise MirrorAlarm("HISTORY_REWRITTEN", f"leaf {leaf}, mirrored before, came back changed", leaf)
        for offset in range(held, len(entries)):
            self._check_entry(start + offset, entries[offset], documents[offset])
        hashes = [leaf_hash(entry) for entry in entries]
        for value in hashes[held:]:
            self.compact.append(value)
        self.leaves[index] = hashes
        tile = Tile(0, index, len(entries), TileData.ENTRIES)
        self._store(tile, encode_entry_bundle(entries))
        self._store(tile.with_data(TileData.DOCUMENTS), encode_document_bundle(documents))

    def _check_entry(self, leaf_index: int, raw: bytes, document: bytes | None) -> None:
        try:
            leaf = parse_leaf_input(raw)
        except MalformedInput as exc:
            raise MirrorAlarm("BAD_ENTRY", f"leaf {leaf_index}: {exc.detail}", leaf_index) from exc
        if not leaf.kind.is_public:
            if document is not None:
                raise MirrorAlarm("PRIVATE_DOCUMENT_PUBLISHED", f"leaf {leaf_index}: a supply-chain document's bytes")
            return
        if document is None:
            raise MirrorAlarm("DOCUMENT_WITHHELD", f"leaf {leaf_index}: a public document was withheld", leaf_index)
        if hashlib.sha256(document).digest() != leaf.document_sha256:
            raise MirrorAlarm("DOCUMENT_MISMATCH", f"leaf {leaf_index}: document does not match its hash", leaf_index)

    def _tiles(self) -> None:
        """Bottom up: each changed tile's new hashes are recomputed from tiles that became full below it."""
        full_below: dict[int, list[bytes]] = {}
        for level in range(MAX_LEVEL + 1):
            if self.new >> (8 * level) == 0:
                return
            full_here: dict[int, list[bytes]] = {}
            first, last = (self.old >> (8 * (level + 1))), ((self.new >> (8 * level)) - 1) // TILE_WIDTH
            for index in range(first, last + 1):
                width, held = tile_width(level, index, self.new), tile_width(level, index, self.old)
                if width == held:
                    continue
                tile = Tile(level, index, width)
                served = tile_hashes(self.source.tile(tile), width)
                if held and b"".join(served[:held]) != self._local(Tile(level, index, held)):
                    raise MirrorAlarm("TILE_REWRITTEN", f"{tile.path} changed below its mirrored width {held}")
                if level == 0:
                    expected = self.leaves[index][held:width]
                else:
                    expected = [perfect_root(full_below[index * TILE_WIDTH + i]) for i in range(held, width)]
                if served[held:] != expected:
                    raise MirrorAlarm("TILE_MISMATCH", f"{tile.path} does not hold the hashes of the level below")
                self._store(tile, b"".join(served))
                if width == TILE_WIDTH:
                    full_here[index] = served
            full_below = full_here

    def _local(self, tile: Tile) -> bytes:
        """A partial tile or bundle this mirror wrote at its last verified size (kept until it is full)."""
        try:
            return (self.directory / tile.path).read_bytes()
        except OSError as exc:
            raise MalformedInput("MIRROR_INCOMPLETE", f"the mirror lacks {tile.path}, which it wrote before") from exc

    def _store(self, tile: Tile, data: bytes) -> None:
        path = self.directory / tile.path
        write_atomically(path, data)
        self.written += 1
        if tile.full:
            shutil.rmtree(path.with_name(path.name + ".p"), ignore_errors=True)
