"""Everything a request needs that lives as long as the process: built in the app's lifespan."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from sqlalchemy import Engine

from ecolabel_registry.db.checkpoints import WalCheckpoints
from ecolabel_registry.replicas import ReadRouting, min_tree_size
from ecolabel_registry.settings import Settings
from verification.cosignature import CosignerKey
from verification.did import DidWeb
from verification.note import NoteSigner, NoteVerifier


class BackgroundWriter(Protocol):
    """What the context starts and stops with the app: the group-commit writer (`certificates.sequencer`),
    which lives above the context, so the context knows it only by this shape."""

    def start(self, context: RegistryContext) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class JSONLimits:
    max_bytes: int
    max_depth: int
    # Longest string (value or object key) in characters; see `Settings.max_string_chars`.
    max_string_chars: int = 262_144


@dataclass(frozen=True)
class RegistryContext:
    settings: Settings
    engine: Engine
    signing_key: Ed25519PrivateKey
    note_signer: NoteSigner
    admin_token: SecretStr
    # The replicas read-only endpoints may read from; None without ECOLABEL_DATABASE_REPLICA_URLS.
    reads: ReadRouting | None = None
    # Group commit of single submissions (certificates.sequencer); None when it is off.
    sequencer: BackgroundWriter | None = None
    # One thread that verifies a catalogue check's first sights beside the request's own thread
    # (`verification.first_sight`); None: each is verified by the standing that meets it.
    first_sights: Executor | None = None
    # The SQLite write-ahead log's checkpoints, on a thread of their own rather than in the writer's
    # commits (`db.checkpoints`); None on PostgreSQL.
    wal_checkpoints: WalCheckpoints | None = None

    def start(self) -> None:
        """Start the write-ahead log's checkpoints (first: the connections opened after it have SQLite's
        own off), measuring the replicas (once now, before the first request, then on a thread) and the
        group-commit writer."""
        if self.wal_checkpoints is not None:
            self.wal_checkpoints.start()
        if self.reads is not None:
            self.reads.start()
        if self.sequencer is not None:
            self.sequencer.start(self)

    def close(self) -> None:
        if self.sequencer is not None:  # answers what is queued before the engine goes
            self.sequencer.close()
        if self.wal_checkpoints is not None:  # after the last write: it checkpoints once more
            self.wal_checkpoints.close()
        if self.reads is not None:
            self.reads.dispose()
        if self.first_sights is not None:
            self.first_sights.shutdown(cancel_futures=True)
        self.engine.dispose()

    def read_engine(self) -> Engine:
        """The database for a read-only request: a replica in rotation that holds at least the tree size the
        client has seen (`X-Min-Tree-Size`), else the primary. Writes use `engine`, always the primary."""
        if self.reads is None:
            return self.engine
        return self.reads.engine_for_read(min_tree_size.get())[1]

    @property
    def note_verifier(self) -> NoteVerifier:
        return self.note_signer.verifier()

    @cached_property
    def did_names(self) -> DidWeb:
        """The did:web DIDs of this registry and its programmes (`ECOLABEL_PUBLIC_URL`, else the log origin).

        Worked out once: the settings do not change while the process runs, and every submission's
        checks name them (the group-commit writer twice per group)."""
        return DidWeb.from_url(self.settings.public_base_url)

    @property
    def witness_keys(self) -> tuple[CosignerKey, ...]:
        """The cosigner keys of the witnesses this registry submits its checkpoints to."""
        return tuple(endpoint.key for endpoint in self.settings.witnesses)
